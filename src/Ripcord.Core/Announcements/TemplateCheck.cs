using System.Text.RegularExpressions;
using Fluid;
using Fluid.Ast;

namespace Ripcord.Core.Announcements;

/// <summary>A problem in one template: the line inside the template text (1-based) and what is wrong.</summary>
public sealed record TemplateProblem(int Line, string Message);

/// <summary>
/// Parses a template with Fluid and walks its syntax tree for variables outside the documented model
/// (<see cref="AnnouncementTemplates.Variables"/>). Walking the tree, rather than rendering against a
/// strict model, also checks branches and loops a sample model would not reach.
/// </summary>
internal static partial class TemplateCheck
{
    // Fluid's parse errors end with "at (line:column)".
    [GeneratedRegex(@"at \((\d+):(\d+)\)")]
    private static partial Regex ErrorPosition();

    public static readonly FluidParser Parser = new();

    public static IFluidTemplate? Parse(string text, out TemplateProblem? problem)
    {
        problem = null;
        if (Parser.TryParse(text, out var template, out var error))
        {
            return template;
        }
        var match = ErrorPosition().Match(error ?? "");
        var line = match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;
        // The message repeats the source line after "Source:"; keep the first sentence.
        var message = (error ?? "invalid template").Split('\n')[0].Trim();
        problem = new TemplateProblem(line, "Liquid syntax error: " + message);
        return null;
    }

    public static IReadOnlyList<TemplateProblem> Check(string text)
    {
        var template = Parse(text, out var problem);
        if (template is null)
        {
            return [problem!];
        }
        var walk = new Walk();
        walk.VisitTemplate(template);
        var problems = new List<TemplateProblem>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in walk.Paths)
        {
            if (Unknown(path, walk.Locals) is { } unknown && reported.Add(unknown))
            {
                problems.Add(new TemplateProblem(LineOf(text, path), $"unknown variable '{unknown}' (known: {string.Join(", ", AnnouncementTemplates.Variables.Keys)})"));
            }
        }
        return problems;
    }

    // Members Liquid gives every list or text; allowed after any known variable.
    private static readonly HashSet<string> Builtins = new(StringComparer.Ordinal) { "size", "first", "last" };

    /// <summary>The unknown part of a variable path (<c>incident.nope</c>), or null when the path is known.</summary>
    private static string? Unknown(IReadOnlyList<string?> path, HashSet<string> locals)
    {
        var root = path[0];
        if (root is null || locals.Contains(root))
        {
            return null;
        }
        if (!AnnouncementTemplates.Variables.TryGetValue(root, out var members))
        {
            return root;
        }
        if (path.Count < 2 || path[1] is not { } member)
        {
            return null;
        }
        if (members.Count > 0 ? !members.Contains(member) : !Builtins.Contains(member))
        {
            return root + "." + member;
        }
        for (var i = 2; i < path.Count; i++)
        {
            if (path[i] is { } deeper && !Builtins.Contains(deeper))
            {
                return string.Join('.', path.Take(i + 1));
            }
        }
        return null;
    }

    /// <summary>The first line (1-based) that names the path, or its root; 1 when neither is found.</summary>
    private static int LineOf(string text, IReadOnlyList<string?> path)
    {
        var lines = text.Split('\n');
        var named = path.TakeWhile(p => p is not null).Take(2).Select(p => Regex.Escape(p!)).ToList();
        foreach (var take in new[] { named.Count, 1 })
        {
            var pattern = new Regex(@"(?<![\w.])" + string.Join(@"\s*\.\s*", named.Take(take)) + @"(?![\w-])", RegexOptions.CultureInvariant);
            for (var i = 0; i < lines.Length; i++)
            {
                if (pattern.IsMatch(lines[i]))
                {
                    return i + 1;
                }
            }
        }
        return 1;
    }

    /// <summary>Collects every variable path read (identifier segments; null for an indexer) and every name a template defines.</summary>
    private sealed class Walk : AstVisitor
    {
        public List<IReadOnlyList<string?>> Paths { get; } = [];
        public HashSet<string> Locals { get; } = new(StringComparer.Ordinal) { "forloop", "tablerowloop", "empty", "blank", "nil", "null" };

        protected override Expression VisitMemberExpression(MemberExpression member)
        {
            Paths.Add([.. member.Segments.Select(s => s is IdentifierSegment id ? id.Identifier : null)]);
            return base.VisitMemberExpression(member);
        }

        protected override Statement VisitAssignStatement(AssignStatement assign)
        {
            Locals.Add(assign.Identifier);
            return base.VisitAssignStatement(assign);
        }

        protected override Statement VisitCaptureStatement(CaptureStatement capture)
        {
            Locals.Add(capture.Identifier);
            return base.VisitCaptureStatement(capture);
        }

        protected override Statement VisitForStatement(ForStatement loop)
        {
            Locals.Add(loop.Identifier);
            return base.VisitForStatement(loop);
        }
    }
}
