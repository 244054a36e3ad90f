namespace Ripcord.Server.Rollback;

/// <summary>
/// On server start, takes up every rollback run left unfinished (a server killed mid-run): each resumes at the
/// first step not stored, or — if that step is refused — fails there, saying so on its incident's timeline.
/// </summary>
public sealed partial class RollbackResumer(RollbackService rollbacks, ILogger<RollbackResumer> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            foreach (var run in await rollbacks.UnfinishedAsync(stoppingToken))
            {
                LogResuming(run.Id, run.Program, run.NextStep is { } s ? Core.Rollback.RollbackMachine.Name(s) : "none");
                try
                {
                    var done = await rollbacks.DriveAsync(run.Id, stoppingToken);
                    LogResumed(done.Id, Core.Rollback.RollbackMachine.Name(done.Status));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Left as stored: GET …/rollbacks/{id} shows the exact step it stopped at; the next start tries again.
                    LogResumeFailed(run.Id, ex.GetType().Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "Resuming rollback {Run} of {Program} at step {Step}")]
    private partial void LogResuming(string run, string program, string step);

    [LoggerMessage(EventId = 7204, Level = LogLevel.Information, Message = "Rollback {Run} resumed: {Status}")]
    private partial void LogResumed(string run, string status);

    [LoggerMessage(EventId = 7205, Level = LogLevel.Error, Message = "Rollback {Run} could not be resumed ({Type}: {Message}); it stays at its stored step")]
    private partial void LogResumeFailed(string run, string type, string message);
}
