using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Metrics;

/// <summary>
/// Issue 10: the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable switches on an OTLP exporter. A real
/// <c>ripcord serve</c> process pushes its metrics to a real OTLP/HTTP receiver on 127.0.0.1.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    [Invariant("MX-3", "with OTEL_EXPORTER_OTLP_ENDPOINT set, the server's metrics are pushed over OTLP")]
    public async Task WithTheStandardVariable_MetricsArePushedToTheOtlpReceiver()
    {
        var bodies = new ConcurrentQueue<(string Path, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            bodies.Enqueue((context.Request.Path, buffer.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Ok();
        });
        await receiver.StartAsync();
        var receiverUrl = receiver.Urls.Single();

        var data = TestPaths.NewDataDirectory("otlp");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo(RipcordCli.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { RipcordCli.DllPath, "serve", "--data", data, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in RipcordCli.ProcessEnvironment(new Dictionary<string, string?>
        {
            ["RIPCORD_ADMIN_TOKEN"] = "rc_otlp_test_admin_0123456789abcdef",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiverUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
        }))
        {
            start.Environment[k] = v;
        }
        using var server = Process.Start(start)!;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(45) && !bodies.Any(b => Contains(b.Body, "ripcord.program.revision")))
            {
                Assert.False(server.HasExited, "ripcord serve exited");
                await Task.Delay(200);
            }
            var pushed = bodies.FirstOrDefault(b => Contains(b.Body, "ripcord.program.revision"));
            Assert.True(pushed.Body is not null, $"no OTLP push carried ripcord.program.revision ({bodies.Count} pushes)");
            Assert.Equal("/v1/metrics", pushed.Path);
            Assert.True(Contains(pushed.Body, "groups"), "the program label travels with the metric");
            Assert.True(Contains(pushed.Body, "ripcord"), "service.name is ripcord");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            TestPaths.TryDelete(data);
        }
    }

    // OTLP is protobuf: names and label values are UTF-8 bytes in it, as they are.
    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
