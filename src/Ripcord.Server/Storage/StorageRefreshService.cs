using Ripcord.Server.Auth;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Storage;

/// <summary>
/// Polls storage (every <see cref="ServerOptions.StorageRefreshInterval"/>, 500 ms) so a node sees other nodes' work: new program revisions,
/// and token revocations (which must not outlive the revoking request by more than that).
/// </summary>
public sealed class StorageRefreshService(ProgramRegistry registry, TokenService tokens, ServerOptions options, ILogger<StorageRefreshService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.StorageRefreshInterval);
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
