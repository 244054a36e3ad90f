using Ripcord.Server.Auth;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Storage;

/// <summary>
/// Polls storage so a node sees other nodes' work within a second: new program revisions,
/// and token revocations (which must not outlive the revoking request by more than that).
/// </summary>
public sealed class StorageRefreshService(ProgramRegistry registry, TokenService tokens, ILogger<StorageRefreshService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await tokens.SyncRevocationsAsync(stoppingToken);
                await registry.RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning("Refreshing from storage failed: {Error}", ex.GetType().Name);
            }
        }
    }
}
