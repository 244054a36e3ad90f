using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// The golden evaluation cases (tests/golden/evaluation) through the SDK: the file's changes go
/// through a real server's writer, the client follows the stream, and every case is evaluated
/// locally with the client's clock at the case's instant. Core and server run the same files.
/// </summary>
public sealed class GoldenSdkTests
{
    public static TheoryData<string> Files() => [.. GoldenFile.All().Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Sdk_gives_the_golden_result(string file)
    {
        var golden = GoldenFile.All().Single(f => f.Name == file);
        await using var server = await RipcordTestServer.StartAsync();
        server.Clock.AdjustTime(golden.ChangedAt);
        var writer = server.Services.GetRequiredService<ProgramWriter>();
        var actor = new Actor(new Principal("prn_golden", "golden"), Role.Admin, "tok_golden");
        long head = 0;
        foreach (var command in golden.Commands)
        {
            head = (await writer.ExecuteAsync("groups", command, actor, null, CancellationToken.None)).Revision;
        }
        var clock = new FakeTimeProvider(golden.Now);
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { Clock = clock });
        await Eventually.TrueAsync(() => client.Revision >= head, $"the SDK applies revision {head}");
        foreach (var c in golden.Cases)
        {
            clock.AdjustTime(c.Now);
            foreach (var e in c.Expect)
            {
                var d = client.Evaluate(e.Flag, c.Context);
                var where = $"{file} / {c.Name} / {e.Flag}: got {d}";
                Assert.True(e.Value == d.Value, where);
                Assert.True(e.Reason is null || e.Reason == d.Reason, where);
                Assert.True(e.Scope is null || e.Scope == d.Scope, where);
                Assert.True(e.Source is null || e.Source == d.Source, where);
                Assert.True(e.Conflict is null || e.Conflict == d.Conflict, where);
            }
        }
    }
}
