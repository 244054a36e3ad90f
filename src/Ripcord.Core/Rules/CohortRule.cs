using System.Collections.Frozen;
using System.Globalization;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Rules;

/// <summary>
/// A compiled cohort rule over context attributes, e.g. <c>workspaceType == "pilot" &amp;&amp; tier >= 1</c>.
/// Grammar: <c>||</c>/<c>or</c>, <c>&amp;&amp;</c>/<c>and</c>, <c>!</c>/<c>not</c>, parentheses,
/// comparisons <c>== != &lt; &lt;= &gt; &gt;=</c>, <c>in [..]</c>, <c>not in [..]</c>, and a bare
/// name (true when that boolean attribute is true). Names: <c>workspaceId</c>, <c>userId</c>,
/// <c>tier</c>, otherwise an attribute (<c>platform</c> or <c>attributes.platform</c>).
/// A comparison against a missing attribute is false, whatever the operator: an unknown
/// context is never in a rule cohort by accident. Evaluation allocates nothing.
/// </summary>
public sealed partial class CohortRule
{
    private readonly Node _root;

    private CohortRule(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    public string Text { get; }

    public bool Matches(EvaluationContext context) => _root.Eval(context);

    /// <summary>Parses a rule; returns null and an error message when it is not valid.</summary>
    public const int MaxLength = 2048;
    public const int MaxDepth = 32;

    public static CohortRule? TryParse(string text, out string? error)
    {
        if (text.Length > MaxLength)
        {
            error = $"rule is longer than {MaxLength} characters";
            return null;
        }
        try
        {
            var parser = new RuleParser(text);
            var node = parser.ParseExpression();
            parser.ExpectEnd();
            error = null;
            return new CohortRule(text, node);
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    public static CohortRule Parse(string text) =>
        TryParse(text, out var error) ?? throw new FormatException(error);

    internal abstract class Node
    {
        public abstract bool Eval(EvaluationContext c);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Eval(EvaluationContext c) => left.Eval(c) || right.Eval(c);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Eval(EvaluationContext c) => left.Eval(c) && right.Eval(c);
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Eval(EvaluationContext c) => !inner.Eval(c);
    }

    private sealed class Truthy(Operand name) : Node
    {
        public override bool Eval(EvaluationContext c) =>
            name.TryRead(c, out var v) && v.Kind == AttributeKind.Boolean && v.AsBoolean;
    }

    private sealed class Compare(Operand name, string op, AttributeValue literal) : Node
    {
        public override bool Eval(EvaluationContext c)
        {
            if (!name.TryRead(c, out var v))
            {
                return false;
            }
            return op switch
            {
                "==" => AreEqual(v, literal),
                "!=" => !AreEqual(v, literal),
                _ => TryNumber(v, out var n) && op switch
                {
                    "<" => n < literal.Number,
                    "<=" => n <= literal.Number,
                    ">" => n > literal.Number,
                    _ => n >= literal.Number,
                },
            };
        }
    }

    private sealed class In(Operand name, FrozenSet<string> texts, double[] numbers, bool negate) : Node
    {
        public override bool Eval(EvaluationContext c)
        {
            if (!name.TryRead(c, out var v))
            {
                return false;
            }
            bool found;
            if (v.Kind == AttributeKind.String)
            {
                found = texts.Contains(v.Text!) || (numbers.Length > 0 && TryNumber(v, out var n) && Array.IndexOf(numbers, n) >= 0);
            }
            else if (v.Kind == AttributeKind.Number)
            {
                found = Array.IndexOf(numbers, v.Number) >= 0;
            }
            else
            {
                found = texts.Contains(v.AsBoolean ? "true" : "false");
            }
            return found != negate;
        }
    }

    private static bool AreEqual(AttributeValue v, AttributeValue literal)
    {
        if (literal.Kind == AttributeKind.Number)
        {
            return TryNumber(v, out var n) && n == literal.Number;
        }
        if (v.Kind != literal.Kind)
        {
            return false;
        }
        return v.Kind == AttributeKind.String
            ? string.Equals(v.Text, literal.Text, StringComparison.Ordinal)
            : v.AsBoolean == literal.AsBoolean;
    }

    private static bool TryNumber(AttributeValue v, out double n)
    {
        switch (v.Kind)
        {
            case AttributeKind.Number:
                n = v.Number;
                return true;
            case AttributeKind.String:
                return double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out n);
            default:
                n = 0;
                return false;
        }
    }

    /// <summary>Where a comparison reads its left side from.</summary>
    internal sealed class Operand(string name)
    {
        private readonly Source _source = name switch
        {
            "workspaceId" => Source.Workspace,
            "userId" => Source.User,
            "tier" => Source.Tier,
            _ => Source.Attribute,
        };

        private readonly string _attribute = name.StartsWith("attributes.", StringComparison.Ordinal) ? name["attributes.".Length..] : name;

        public bool TryRead(EvaluationContext c, out AttributeValue value)
        {
            switch (_source)
            {
                case Source.Workspace when c.WorkspaceId is not null:
                    value = AttributeValue.Of(c.WorkspaceId);
                    return true;
                case Source.User when c.UserId is not null:
                    value = AttributeValue.Of(c.UserId);
                    return true;
                case Source.Tier when c.Tier is int tier:
                    value = AttributeValue.Of(tier);
                    return true;
                case Source.Attribute:
                    return c.Attributes.TryGetValue(_attribute, out value);
                default:
                    value = default;
                    return false;
            }
        }

        private enum Source
        {
            Workspace,
            User,
            Tier,
            Attribute,
        }
    }

}

