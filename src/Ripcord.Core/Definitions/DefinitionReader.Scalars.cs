using System.Collections.Immutable;
using System.Globalization;

namespace Ripcord.Core.Definitions;

/// <summary>Reading scalars and lists with line-numbered errors: required and optional strings, booleans, decimals, string lists.</summary>
public static partial class DefinitionReader
{
    private sealed partial class Reading
    {
        private string? RequiredString(Dictionary<string, YNode> f, YMapping parent, string name, string path)
        {
            if (!f.ContainsKey(name))
            {
                Error(parent, path, "required");
                return null;
            }
            return OptionalString(f, name, path);
        }

        private string? OptionalString(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                return null;
            }
            if (node is YScalar scalar && !scalar.IsNull)
            {
                return scalar.Value;
            }
            Error(node, path, "must be a string");
            return null;
        }

        private bool RequiredBool(Dictionary<string, YNode> f, YMapping parent, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                Error(parent, path, "required (true or false)");
                return false;
            }
            if (node is YScalar scalar)
            {
                return ParseBool(scalar, path) ?? false;
            }
            Error(node, path, "must be true or false");
            return false;
        }

        private bool? ParseBool(YScalar scalar, string path)
        {
            if (!scalar.Quoted)
            {
                switch (scalar.Value)
                {
                    case "true" or "True" or "TRUE" or "on":
                        return true;
                    case "false" or "False" or "FALSE" or "off":
                        return false;
                }
            }
            Error(scalar, path, $"must be true or false, not '{scalar.Value}' (only boolean flags are supported)");
            return null;
        }

        private decimal? OptionalDecimal(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                return null;
            }
            if (node is YScalar scalar && ParseDecimal(scalar.Value) is decimal value)
            {
                return value;
            }
            Error(node, path, "must be a number");
            return null;
        }

        private static decimal? ParseDecimal(string s) =>
            decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

        private ImmutableArray<string> StringList(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node) || node is YScalar { IsNull: true })
            {
                return [];
            }
            if (node is not YSequence seq)
            {
                Error(node, path, "must be a list of strings");
                return [];
            }
            var builder = ImmutableArray.CreateBuilder<string>(seq.Items.Count);
            for (var i = 0; i < seq.Items.Count; i++)
            {
                _lines[$"{path}[{i}]"] = seq.Items[i].Line;
                if (seq.Items[i] is YScalar { IsNull: false } s)
                {
                    builder.Add(s.Value);
                }
                else
                {
                    Error(seq.Items[i], $"{path}[{i}]", "must be a string");
                }
            }
            return builder.ToImmutable();
        }
    }
}
