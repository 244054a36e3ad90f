using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Ripcord.Core.Definitions;

/// <summary>
/// A minimal YAML tree built from the event stream, keeping every node's line and every
/// mapping's pairs in order (duplicates included), so the reader can report duplicate
/// keys and every other error with its line instead of stopping at the first.
/// </summary>
internal abstract record YNode(int Line);

internal sealed record YScalar(int Line, string Value, bool Quoted) : YNode(Line)
{
    public bool IsNull => !Quoted && (Value.Length == 0 || Value is "~" or "null" or "Null" or "NULL");
}

internal sealed record YSequence(int Line, IReadOnlyList<YNode> Items) : YNode(Line);

internal sealed record YMapping(int Line, IReadOnlyList<KeyValuePair<YScalar, YNode>> Pairs) : YNode(Line);

internal static class YamlTree
{
    /// <summary>Deeper nesting than any definition needs; refusing it keeps a hostile file from exhausting the stack.</summary>
    public const int MaxDepth = 32;

    /// <summary>Parses one YAML document. Throws <see cref="YamlException"/> on malformed YAML.</summary>
    public static YNode? Parse(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _))
        {
            return null;
        }
        parser.Consume<DocumentStart>();
        var root = ReadNode(parser, 0);
        parser.Consume<DocumentEnd>();
        if (!parser.Accept<StreamEnd>(out _))
        {
            var extra = parser.Current!;
            throw new YamlException(extra.Start, extra.End, "only one YAML document is allowed");
        }
        return root;
    }

    private static YNode ReadNode(IParser parser, int depth)
    {
        if (depth > MaxDepth)
        {
            var at = parser.Current!;
            throw new YamlException(at.Start, at.End, $"nesting deeper than {MaxDepth} levels");
        }
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            return new YScalar(Line(scalar), scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted);
        }
        if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, depth + 1));
            }
            return new YSequence(Line(seqStart), items);
        }
        if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            var pairs = new List<KeyValuePair<YScalar, YNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, depth + 1);
                var value = ReadNode(parser, depth + 1);
                if (keyNode is not YScalar key)
                {
                    throw new YamlException($"line {keyNode.Line}: mapping keys must be plain scalars");
                }
                pairs.Add(new(key, value));
            }
            return new YMapping(Line(mapStart), pairs);
        }
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            throw new YamlException(alias.Start, alias.End, "YAML aliases are not supported in definitions");
        }
        var current = parser.Current!;
        throw new YamlException(current.Start, current.End, $"unexpected YAML event {current.GetType().Name}");
    }

    private static int Line(ParsingEvent e) => (int)e.Start.Line;
}
