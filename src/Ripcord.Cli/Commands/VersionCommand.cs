using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord version</c> and <c>ripcord completion bash|zsh</c>: about this executable, and tab completion for it.</summary>
public static class VersionCommand
{
    public static Command[] Create(VerbFactory verbs)
    {
        var version = verbs.Verb("version", "Print this executable's version, the commit it was built from, and the .NET runtime",
            ["ripcord version", "ripcord version --json"],
            (context, _) =>
            {
                var informational = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
                var (number, commit) = informational.Split('+') is [var n, var c, ..] ? (n, c[..Math.Min(12, c.Length)]) : (informational, null);
                if (context.Json)
                {
                    context.Terminal.Json(JsonSerializer.Serialize(new { version = number, commit, runtime = RuntimeInformation.FrameworkDescription, os = RuntimeInformation.RuntimeIdentifier },
                        new JsonSerializerOptions(JsonSerializerDefaults.Web)));
                }
                else
                {
                    context.Terminal.Line($"ripcord {number}{(commit is null ? "" : $" (commit {commit})")}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier}");
                }
                return Task.FromResult(ExitCodes.Success);
            });

        var shell = new Argument<string>("shell") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var completion = verbs.Verb("completion", "Print a tab-completion script for bash or zsh (verbs, options and their values)",
            ["ripcord completion bash > /etc/bash_completion.d/ripcord", "source <(ripcord completion bash)   # in ~/.bashrc", "source <(ripcord completion zsh)    # in ~/.zshrc"],
            (context, _) =>
            {
                context.Terminal.Output.Write(context.Get(shell) == "zsh" ? Zsh : Bash);
                return Task.FromResult(ExitCodes.Success);
            }, shell);
        return [version, completion];
    }

    // The executable answers completions itself (System.CommandLine's [suggest:POSITION] directive): the
    // script passes the line without the command's own name, and the cursor's place in it.
    private const string Bash = """
        # ripcord tab completion for bash: source <(ripcord completion bash)
        _ripcord_completions() {
            local command="${COMP_WORDS[0]}" line="" position=0
            if [[ "$COMP_LINE" == *" "* ]]; then
                line="${COMP_LINE#* }"
                position=$(( COMP_POINT - ${#COMP_LINE} + ${#line} ))
                (( position < 0 )) && position=0
            fi
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "$("$command" "[suggest:${position}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _ripcord_completions ripcord ./ripcord

        """;

    private const string Zsh = """
        # ripcord tab completion for zsh: source <(ripcord completion zsh)
        autoload -U +X compinit && compinit
        autoload -U +X bashcompinit && bashcompinit

        """ + Bash;
}
