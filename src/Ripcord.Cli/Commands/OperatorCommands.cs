using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Ripcord.Core.Audit;
using Ripcord.Core.Definitions;
using static Ripcord.Cli.Output;

namespace Ripcord.Cli.Commands;

/// <summary>The operator verbs: each is a thin call to the REST API with a table or --json.</summary>
public static class OperatorCommands
{
    private delegate Task<int> Handler(ParseResult parse, ApiClient api, string program, bool json, CancellationToken ct);

    private static Command Verb(string name, string description, Handler handler, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o:
                    command.Options.Add(o);
                    break;
                case Argument a:
                    command.Arguments.Add(a);
                    break;
            }
        }
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                using var api = new ApiClient(parse.GetValue(GlobalOptions.Server)!, parse.GetValue(GlobalOptions.Token));
                return await handler(parse, api, parse.GetValue(GlobalOptions.Program)!, parse.GetValue(GlobalOptions.Json), ct);
            }
            catch (CliException ex)
            {
                Console.Error.WriteLine($"ripcord {CommandPath(parse)}: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return command;
    }

    /// <summary>"override set", not just "set": the words the user typed, without the root.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    private static Command Group(string name, string description, params Command[] verbs)
    {
        var group = new Command(name, description);
        foreach (var verb in verbs)
        {
            group.Subcommands.Add(verb);
        }
        return group;
    }

    private static string P(string program) => Uri.EscapeDataString(program);

    public static IEnumerable<Command> Create() =>
    [
        Group("programs", "List programs", Verb("list", "List programs with their revision and stage", async (_, api, _, json, ct) =>
        {
            var node = await api.GetAsync("/api/v1/programs", ct);
            if (json)
            {
                Json(node);
                return 0;
            }
            Table(["PROGRAM", "REVISION", "STAGE", "FLAGS", "COHORTS", "OVERRIDES"], node!.AsArray().Select(p => new[]
            {
                S(p!["key"]), S(p["revision"]), S(p["stage"]), S(p["flags"]), S(p["cohorts"]), S(p["overrides"]),
            }));
            return 0;
        })),
        Group("flags", "Flags of a program", Verb("list", "List flags with alias, default, safe value and prerequisites", async (_, api, program, json, ct) =>
        {
            var node = await api.GetAsync($"/api/v1/programs/{P(program)}/flags", ct);
            if (json)
            {
                Json(node);
                return 0;
            }
            Table(["ALIAS", "KEY", "DEFAULT", "SAFE", "PREREQUISITES"], node!.AsArray().Select(f => new[]
            {
                S(f!["alias"]), S(f["key"]), S(f["default"]), S(f["safe"]), S(f["prerequisites"]),
            }));
            return 0;
        })),
        CohortCommands(),
        OverrideCommands(),
        StageCommands(),
        EvaluateCommand(),
        RevisionCommands(),
        DefinitionCommands(),
        AuditCommands(),
        TokenCommands(),
        Group("clients", "Connected SDK instances and the revision each has applied",
            Verb("list", "List SDK instances with their applied revision; the first line says how many are at the head", async (_, api, program, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/programs/{P(program)}/clients", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Console.WriteLine($"{S(node!["program"])}: revision {S(node["headRevision"])}; {S(node["connected"])} connected, {S(node["atHead"])} at the head");
                Table(["INSTANCE", "CONNECTED", "APPLIED", "STATE", "SDK", "TOKEN", "LAST SEEN"], node["clients"]!.AsArray().Select(c => new[]
                {
                    S(c!["instance"]), S(c["connected"]), S(c["appliedRevision"]), S(c["state"]), S(c["sdk"]), S(c["tokenName"]), S(c["lastSeen"]),
                }));
                return 0;
            })),
    ];

    private static Command CohortCommands()
    {
        var id = new Argument<string>("id") { Description = "Cohort id, e.g. pilot" };
        var workspaces = new Option<string[]>("--workspaces") { Description = "Explicit workspace ids (comma or space separated)", AllowMultipleArgumentsPerToken = true };
        var users = new Option<string[]>("--users") { Description = "Explicit user ids", AllowMultipleArgumentsPerToken = true };
        var rule = new Option<string?>("--rule") { Description = "Rule on context attributes, e.g. 'workspaceType == \"pilot\" && tier >= 1'" };
        var percentage = new Option<decimal?>("--percentage") { Description = "Stable percentage bucket of workspace ids (0–100); raising it keeps everyone already in" };
        var everyone = new Option<bool>("--everyone") { Description = "Everyone" };
        var description = new Option<string?>("--description") { Description = "What the cohort is for" };

        static string[]? Split(string[]? values) =>
            values is null || values.Length == 0 ? null : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

        return Group("cohort", "Cohorts: named sets of workspaces or users",
            Verb("list", "List cohorts", async (_, api, program, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/programs/{P(program)}/cohorts", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Table(["COHORT", "KIND", "MEMBERSHIP"], node!.AsArray().Select(c => new[]
                {
                    S(c!["id"]), S(c["kind"]),
                    S(c["kind"]) switch
                    {
                        "rule" => S(c["rule"]),
                        "percentage" => S(c["percentage"]) + "%",
                        "everyone" => "everyone",
                        _ => $"workspaces [{S(c["workspaces"])}] users [{S(c["users"])}]",
                    },
                }));
                return 0;
            }),
            Verb("set", "Create or replace a cohort's membership (give exactly one kind)", async (parse, api, program, json, ct) =>
            {
                var body = new
                {
                    workspaces = Split(parse.GetValue(workspaces)),
                    users = Split(parse.GetValue(users)),
                    rule = parse.GetValue(rule),
                    percentage = parse.GetValue(percentage),
                    everyone = parse.GetValue(everyone) ? true : (bool?)null,
                    description = parse.GetValue(description),
                };
                var cohort = parse.GetValue(id)!;
                var node = await api.SendJsonAsync(HttpMethod.Put, $"/api/v1/programs/{P(program)}/cohorts/{Uri.EscapeDataString(cohort)}", body, ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Console.WriteLine($"{(node!["created"]!.GetValue<bool>() ? "Created" : "Replaced")} cohort {cohort} ({S(node["cohort"]!["kind"])}); revision {S(node["revision"])}.");
                return 0;
            }, id, workspaces, users, rule, percentage, everyone, description));
    }

    private static Command OverrideCommands()
    {
        var flag = new Option<string>("--flag") { Description = "Flag key or alias, e.g. F3", Required = true };
        var scope = new Option<string>("--scope") { Description = "global | workspace:ID | cohort:ID | user:ID", Required = true };
        var value = new Option<string>("--value") { Description = "on|off (or true|false)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log)", Required = true };
        var expires = new Option<string?>("--expires") { Description = "Expiry: a duration (30m, 24h, 3d) or an ISO-8601 time; required for user scope (≤ 72 h)" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };
        var overrideId = new Argument<string>("id") { Description = "Override id (from 'override list')" };

        return Group("override", "Overrides: set a flag's value at a scope",
            Verb("list", "List overrides (diagnostic = user scope)", async (_, api, program, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/programs/{P(program)}/overrides", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Table(["ID", "FLAG", "SCOPE", "VALUE", "EXPIRES", "REASON"], node!.AsArray().Select(o => new[]
                {
                    S(o!["id"]), S(o["alias"]) ?? S(o["flag"]), S(o["scope"]) + (o["diagnostic"]!.GetValue<bool>() ? " (diagnostic)" : ""),
                    S(o["value"]), o["expired"]!.GetValue<bool>() ? "expired" : S(o["expiresAt"]) ?? "never", S(o["reason"]),
                }));
                return 0;
            }),
            Verb("set", "Set a flag's value at a scope (replaces an override at the same flag and scope)", async (parse, api, program, json, ct) =>
            {
                var body = new
                {
                    flag = parse.GetValue(flag),
                    scope = parse.GetValue(scope),
                    value = ParseOnOff(parse.GetValue(value)!),
                    reason = parse.GetValue(reason),
                    expiresAt = parse.GetValue(expires) is { } e ? ParseExpiry(e) : (DateTimeOffset?)null,
                };
                var node = await api.SendJsonAsync(HttpMethod.Post, $"/api/v1/programs/{P(program)}/overrides", body, ct, parse.GetValue(ifMatch));
                if (json)
                {
                    Json(node);
                    return 0;
                }
                var o = node!["override"]!;
                Console.WriteLine($"Override {S(o["id"])}: {S(o["alias"]) ?? S(o["flag"])} = {S(o["value"])} at {S(o["scope"])}; revision {S(node["revision"])}.");
                return 0;
            }, flag, scope, value, reason, expires, ifMatch),
            Verb("delete", "Remove an override", async (parse, api, program, json, ct) =>
            {
                var node = await api.SendJsonAsync(HttpMethod.Delete, $"/api/v1/programs/{P(program)}/overrides/{Uri.EscapeDataString(parse.GetValue(overrideId)!)}", null, ct, parse.GetValue(ifMatch));
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Console.WriteLine($"Removed {S(node!["id"])}; revision {S(node["revision"])}.");
                return 0;
            }, overrideId, ifMatch));
    }

    private static Command StageCommands()
    {
        var stage = new Argument<string>("stage") { Description = "0, 1, 2, 3 or freeze" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };
        static void Print(JsonNode node) =>
            Console.WriteLine($"{S(node["program"])} is at stage {S(node["stage"])} ({S(node["name"])}), revision {S(node["revision"])}. Stages: {S(node["stages"])}.");
        return Group("stage", "The current rollout stage",
            Verb("get", "Show the current stage", async (_, api, program, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/programs/{P(program)}/stage", ct);
                if (json)
                {
                    Json(node);
                }
                else
                {
                    Print(node!);
                }
                return 0;
            }),
            Verb("set", "Move to a stage (release manager or admin)", async (parse, api, program, json, ct) =>
            {
                var text = parse.GetValue(stage)!;
                object value = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : text;
                var node = await api.SendJsonAsync(HttpMethod.Put, $"/api/v1/programs/{P(program)}/stage", new { stage = value }, ct, parse.GetValue(ifMatch));
                if (json)
                {
                    Json(node);
                }
                else
                {
                    Print(node!);
                }
                return 0;
            }, stage, ifMatch));
    }

    private static Command EvaluateCommand()
    {
        var workspace = new Option<string?>("--workspace", "-w") { Description = "Workspace id" };
        var user = new Option<string?>("--user", "-u") { Description = "User id" };
        var tier = new Option<int?>("--tier") { Description = "Mission tier 0, 1 or 2" };
        var attrs = new Option<string[]>("--attr") { Description = "Attribute name=value (repeatable); numbers and true/false are typed", AllowMultipleArgumentsPerToken = true };
        return Verb("evaluate", "Evaluate every flag for a context and show which layer decided each", async (parse, api, program, json, ct) =>
        {
            var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(attrs) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new CliException($"--attr takes name=value, not '{pair}'");
                }
                var raw = pair[(eq + 1)..];
                attributes[pair[..eq]] = raw is "true" or "false" ? raw == "true"
                    : double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : raw;
            }
            var body = new { context = new { workspaceId = parse.GetValue(workspace), userId = parse.GetValue(user), tier = parse.GetValue(tier), attributes } };
            var node = await api.SendJsonAsync(HttpMethod.Post, $"/api/v1/programs/{P(program)}/evaluate", body, ct);
            if (json)
            {
                Json(node);
                return 0;
            }
            Console.WriteLine($"{S(node!["program"])} revision {S(node["revision"])}, stage {S(node["stage"])}");
            Table(["FLAG", "VALUE", "REASON", "SCOPE"], node["flags"]!.AsObject().Select(kv => new[]
            {
                S(kv.Value!["alias"]) is { } alias ? $"{alias} {kv.Key}" : kv.Key, S(kv.Value["value"]), S(kv.Value["source"]), S(kv.Value["scope"]),
            }));
            return 0;
        }, workspace, user, tier, attrs);
    }

    private static Command RevisionCommands()
    {
        var revision = new Argument<long>("revision") { Description = "Revision number" };
        var limit = new Option<int>("--limit") { Description = "How many (newest first)", DefaultValueFactory = _ => 20 };
        return Group("revisions", "Immutable, numbered configuration revisions",
            Verb("list", "List revisions, newest first", async (parse, api, program, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/programs/{P(program)}/revisions?limit={parse.GetValue(limit)}", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Table(["REVISION", "AT", "ACTOR", "SUMMARY"], node!.AsArray().Select(r => new[] { S(r!["revision"]), S(r["createdAt"]), S(r["actor"]), S(r["summary"]) }));
                return 0;
            }, limit),
            Verb("show", "Show one revision with its full state", async (parse, api, program, _, ct) =>
            {
                Json(await api.GetAsync($"/api/v1/programs/{P(program)}/revisions/{parse.GetValue(revision)}", ct));
                return 0;
            }, revision));
    }

    private static Command DefinitionCommands()
    {
        var file = new Argument<FileInfo>("file") { Description = "Definition YAML file" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };
        return Group("definition", "Program definitions as YAML",
            Verb("apply", "Create a program or replace its definition from YAML (validated locally, then by the server)", async (parse, api, _, json, ct) =>
            {
                var path = parse.GetValue(file)!;
                if (!path.Exists)
                {
                    throw new CliException($"no such file: {path.FullName}");
                }
                var yaml = await File.ReadAllTextAsync(path.FullName, ct);
                var local = DefinitionReader.Read(yaml);
                if (!local.IsValid)
                {
                    throw new CliException($"{path.Name} is not a valid definition; nothing was sent:" +
                        string.Concat(local.Errors.Select(e => Environment.NewLine + "  " + e)));
                }
                var node = await api.SendAsync(HttpMethod.Post, "/api/v1/definitions",
                    new StringContent(yaml, Encoding.UTF8, "application/yaml"), parse.GetValue(ifMatch), ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Console.WriteLine($"Applied {path.Name} to program {S(node!["program"])}: revision {S(node["revision"])}.");
                if (node["droppedOverrides"] is JsonArray { Count: > 0 } dropped)
                {
                    Console.WriteLine($"Dropped overrides that no longer fit the definition: {S(dropped)}");
                }
                if (S(node["stageReset"]) is { } reset)
                {
                    Console.WriteLine($"The previous stage no longer exists; now at stage {reset}.");
                }
                return 0;
            }, file, ifMatch),
            Verb("export", "Print the program's current definition (with live cohorts) as YAML", async (parse, api, program, _, ct) =>
            {
                var yaml = await api.GetTextAsync($"/api/v1/programs/{P(program)}/definition", ct);
                if (parse.GetValue(output) is { } target)
                {
                    await File.WriteAllTextAsync(target.FullName, yaml, ct);
                    Console.Error.WriteLine($"Wrote {target.FullName}");
                }
                else
                {
                    Console.Write(yaml);
                }
                return 0;
            }, output),
            Verb("validate", "Check a definition file locally, listing every error with its line", (parse, _, _, _, _) =>
            {
                var path = parse.GetValue(file)!;
                if (!path.Exists)
                {
                    throw new CliException($"no such file: {path.FullName}");
                }
                var result = DefinitionReader.Read(File.ReadAllText(path.FullName));
                foreach (var error in result.Errors)
                {
                    Console.Error.WriteLine($"{path.Name}:{error}");
                }
                Console.WriteLine(result.IsValid ? $"{path.Name}: valid ({result.Definition!.Flags.Length} flags)" : $"{path.Name}: {result.Errors.Count} error(s)");
                return Task.FromResult(result.IsValid ? 0 : 1);
            }, file));
    }

    private static Command AuditCommands()
    {
        var limit = new Option<int>("--limit") { Description = "How many entries", DefaultValueFactory = _ => 50 };
        var after = new Option<long>("--after") { Description = "Entries after this sequence number", DefaultValueFactory = _ => 0 };
        return Group("audit", "The append-only, hash-chained audit log",
            Verb("list", "List audit entries, oldest first", async (parse, api, _, json, ct) =>
            {
                var node = await api.GetAsync($"/api/v1/audit?after={parse.GetValue(after)}&limit={parse.GetValue(limit)}", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Table(["SEQ", "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME"], node!["entries"]!.AsArray().Select(e => new[]
                {
                    S(e!["seq"]), S(e["at"]), S(e["actor"]), S(e["role"]), S(e["action"]), S(e["target"]), S(e["outcome"]),
                }));
                return 0;
            }, limit, after),
            Verb("verify", "Fetch the whole log and check every hash link here, on this machine; exit 1 at the first broken link", async (_, api, _, json, ct) =>
            {
                var verification = new AuditVerification(true, 0, null, null, AuditChain.Genesis);
                long cursor = 0;
                while (true)
                {
                    var page = await api.GetAsync($"/api/v1/audit?after={cursor}&limit=1000", ct);
                    var entries = System.Text.Json.JsonSerializer.Deserialize<List<AuditEntry>>(page!["entries"], System.Text.Json.JsonSerializerOptions.Web) ?? [];
                    if (entries.Count == 0)
                    {
                        break;
                    }
                    verification = AuditChain.Verify(entries, verification.LastHash, verification.Checked);
                    if (!verification.Ok)
                    {
                        break;
                    }
                    cursor = entries[^1].Seq;
                }
                if (json)
                {
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(verification, System.Text.Json.JsonSerializerOptions.Web));
                }
                else if (verification.Ok)
                {
                    Console.WriteLine($"Audit chain intact: {verification.Checked} entries verified.");
                }
                else
                {
                    Console.Error.WriteLine($"Audit chain BROKEN at entry {verification.FirstBrokenSeq}: {verification.Problem} ({verification.Checked} entries before it verified).");
                }
                return verification.Ok ? 0 : 1;
            }));
    }

    private static Command TokenCommands()
    {
        var role = new Option<string>("--role") { Description = "viewer, support, operator, ops-lead, release-manager, security-lead, admin or sdk", Required = true };
        var name = new Option<string>("--name") { Description = "Who or what holds the token", Required = true };
        var tokenId = new Argument<string>("id") { Description = "Token id (from 'token list')" };
        return Group("token", "API tokens (admin only)",
            Verb("create", "Create a token; the secret is printed once and stored only as a hash", async (parse, api, _, json, ct) =>
            {
                var node = await api.SendJsonAsync(HttpMethod.Post, "/api/v1/tokens", new { name = parse.GetValue(name), role = parse.GetValue(role) }, ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Console.WriteLine($"Token {S(node!["id"])} ({S(node["role"])}) for {S(node["name"])}. Shown once:");
                Console.WriteLine(S(node["token"]));
                return 0;
            }, role, name),
            Verb("list", "List tokens (never their secrets)", async (_, api, _, json, ct) =>
            {
                var node = await api.GetAsync("/api/v1/tokens", ct);
                if (json)
                {
                    Json(node);
                    return 0;
                }
                Table(["ID", "NAME", "ROLE", "CREATED", "REVOKED"], node!.AsArray().Select(t => new[]
                {
                    S(t!["id"]), S(t["name"]), S(t["role"]), S(t["createdAt"]), S(t["revokedAt"]) ?? "",
                }));
                return 0;
            }),
            Verb("revoke", "Revoke a token", async (parse, api, _, json, ct) =>
            {
                var node = await api.SendJsonAsync(HttpMethod.Delete, $"/api/v1/tokens/{Uri.EscapeDataString(parse.GetValue(tokenId)!)}", null, ct);
                if (json)
                {
                    Json(node);
                }
                else
                {
                    Console.WriteLine($"Revoked {S(node!["id"])}.");
                }
                return 0;
            }, tokenId));
    }

    private static bool ParseOnOff(string text) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "1" or "yes" => true,
        "off" or "false" or "0" or "no" => false,
        _ => throw new CliException($"--value takes on or off, not '{text}'"),
    };

    /// <summary>A duration from now (30m, 24h, 3d) or an absolute ISO-8601 time.</summary>
    public static DateTimeOffset ParseExpiry(string text, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 'm':
                    return at.AddMinutes(amount);
                case 'h':
                    return at.AddHours(amount);
                case 'd':
                    return at.AddDays(amount);
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var absolute)
            ? absolute
            : throw new CliException($"--expires takes a duration like 30m, 24h, 3d or an ISO-8601 time, not '{text}'");
    }
}
