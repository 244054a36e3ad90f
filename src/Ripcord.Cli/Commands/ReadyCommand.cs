using System.CommandLine;
using System.Diagnostics;
using Ripcord.Cli.Api;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord ready</c>: is the server up and able to take writes — for scripts that start one, and for on-call checks.</summary>
public static class ReadyCommand
{
    public static Command Create(VerbFactory verbs)
    {
        var wait = new Option<int>("--wait")
        {
            Description = "Keep asking for up to this many seconds (a server that is starting); 0 asks once",
            HelpName = "seconds",
            DefaultValueFactory = _ => 0,
        };
        wait.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 3600)
            {
                result.AddError("--wait is 0 to 3600 seconds");
            }
        });
        return verbs.Verb("ready", "Ask the server whether it is ready (GET /readyz: storage reachable and writable); exit 0 if so, 8 if it cannot be reached, 9 if it is up but not ready",
            ["ripcord ready", "ripcord serve & ripcord ready --wait 30", "ripcord ready --server https://ripcord.internal:7070"],
            async (context, ct) =>
            {
                var deadline = Stopwatch.StartNew();
                var limit = TimeSpan.FromSeconds(context.Get(wait));
                while (true)
                {
                    try
                    {
                        await context.Api.ReadyAsync(ct);
                        context.Terminal.Line($"{context.Api.Server.ToString().TrimEnd('/')} is ready.");
                        return ExitCodes.Success;
                    }
                    catch (Exception ex) when (ex is RipcordUnreachableException or RipcordApiException && deadline.Elapsed < limit)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
                    }
                }
            }, wait);
    }
}
