using System.Collections.Frozen;
using System.Globalization;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Rules;

/// <summary>The rule language's recursive-descent parser: text in, a tree of nodes (or the first error) out.</summary>
public sealed partial class CohortRule
{
    private sealed class RuleParser(string text)
    {
        private int _pos;
        private int _depth;

        // Every recursion goes through ParseUnary; bounding it bounds the stack.
        private void Enter()
        {
            if (++_depth > MaxDepth)
            {
                throw Fail($"nesting deeper than {MaxDepth} levels");
            }
        }

        public Node ParseExpression()
        {
            var left = ParseAnd();
            while (TryToken("||") || TryWord("or"))
            {
                left = new Or(left, ParseAnd());
            }
            return left;
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos < text.Length)
            {
                throw Fail($"unexpected '{text[_pos..]}'");
            }
        }

        private Node ParseAnd()
        {
            var left = ParseUnary();
            while (TryToken("&&") || TryWord("and"))
            {
                left = new And(left, ParseUnary());
            }
            return left;
        }

        private Node ParseUnary()
        {
            Enter();
            try
            {
                return ParseUnaryInner();
            }
            finally
            {
                _depth--;
            }
        }

        private Node ParseUnaryInner()
        {
            SkipSpace();
            if (Peek('!') && !PeekAt(1, '='))
            {
                _pos++;
                return new Not(ParseUnary());
            }
            if (TryWord("not"))
            {
                return new Not(ParseUnary());
            }
            if (TryToken("("))
            {
                var inner = ParseExpression();
                if (!TryToken(")"))
                {
                    throw Fail("missing ')'");
                }
                return inner;
            }
            return ParseComparison();
        }

        private Node ParseComparison()
        {
            var name = ReadIdentifier() ?? throw Fail("expected an attribute name such as tier, workspaceId or platform");
            var operand = new Operand(name);
            SkipSpace();
            foreach (var op in (ReadOnlySpan<string>)["==", "!=", "<=", ">=", "<", ">"])
            {
                if (TryToken(op))
                {
                    var literal = ReadLiteral();
                    if (op is "<" or "<=" or ">" or ">=" && literal.Kind != AttributeKind.Number)
                    {
                        throw Fail($"'{op}' compares numbers; '{literal}' is not a number");
                    }
                    return new Compare(operand, op, literal);
                }
            }
            var save = _pos;
            var negate = TryWord("not");
            if (TryWord("in"))
            {
                return ParseIn(operand, negate);
            }
            _pos = save;
            return new Truthy(operand);
        }

        private In ParseIn(Operand operand, bool negate)
        {
            if (!TryToken("["))
            {
                throw Fail("expected '[' after 'in'");
            }
            var texts = new List<string>();
            var numbers = new List<double>();
            if (!TryToken("]"))
            {
                do
                {
                    var literal = ReadLiteral();
                    if (literal.Kind == AttributeKind.Number)
                    {
                        numbers.Add(literal.Number);
                    }
                    else
                    {
                        texts.Add(literal.ToString());
                    }
                }
                while (TryToken(","));
                if (!TryToken("]"))
                {
                    throw Fail("expected ']' to close the list");
                }
            }
            return new In(operand, texts.ToFrozenSet(StringComparer.Ordinal), [.. numbers], negate);
        }

        private AttributeValue ReadLiteral()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                throw Fail("expected a value");
            }
            var c = text[_pos];
            if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, _pos + 1);
                if (end < 0)
                {
                    throw Fail("unterminated string");
                }
                var s = text[(_pos + 1)..end];
                _pos = end + 1;
                return AttributeValue.Of(s);
            }
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '.' or '-' or '+' or '_'))
            {
                _pos++;
            }
            var word = text[start.._pos];
            if (word == "true")
            {
                return AttributeValue.Of(true);
            }
            if (word == "false")
            {
                return AttributeValue.Of(false);
            }
            if (double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return AttributeValue.Of(number);
            }
            throw Fail(word.Length == 0 ? $"unexpected '{c}'" : $"'{word}' is not a value: quote strings, e.g. \"{word}\"");
        }

        private string? ReadIdentifier()
        {
            SkipSpace();
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '_' or '.' or '-'))
            {
                _pos++;
            }
            if (_pos == start || !char.IsAsciiLetter(text[start]))
            {
                _pos = start;
                return null;
            }
            return text[start.._pos];
        }

        private bool TryToken(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, token, 0, token.Length) == 0)
            {
                _pos += token.Length;
                return true;
            }
            return false;
        }

        private bool TryWord(string word)
        {
            SkipSpace();
            var end = _pos + word.Length;
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0
                && (end == text.Length || !(char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_')))
            {
                _pos = end;
                return true;
            }
            return false;
        }

        private bool Peek(char c) => _pos < text.Length && text[_pos] == c;

        private bool PeekAt(int offset, char c) => _pos + offset < text.Length && text[_pos + offset] == c;

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private FormatException Fail(string message) =>
            new($"rule '{text}': {message} (at character {_pos + 1})");
    }
}
