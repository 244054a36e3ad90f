using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// Runs tests/ofrep-js/evaluate.mjs (the OpenFeature JS server SDK with the OFREP provider) as a
/// child process with a deadline. A missing node or node_modules is a failure, never a skip:
/// scripts/test.sh installs both.
/// </summary>
public static class NodeScript
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static string ScriptDirectory => Path.Combine(RipcordTestServer.RepositoryRoot(), "tests", "ofrep-js");

    public static async Task<JsonObject> EvaluateAsync(string baseUrl, string sdkKey, JsonObject cases)
    {
        var directory = ScriptDirectory;
        var script = Path.Combine(directory, "evaluate.mjs");
        Assert.True(File.Exists(script), $"{script} is missing");
        var provider = Path.Combine(directory, "node_modules", "@openfeature", "ofrep-provider", "package.json");
        Assert.True(File.Exists(provider),
            $"The OpenFeature JS packages are not installed: {provider} is missing. Run 'npm ci' in tests/ofrep-js (scripts/test.sh does this).");

        var casesFile = Path.Combine(Path.GetTempPath(), $"ripcord-ofrep-cases-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(casesFile, cases.ToJsonString());
        try
        {
            var (exit, stdout, stderr) = await RunAsync("node", [script, baseUrl, sdkKey, casesFile], directory);
            Assert.True(exit == 0, $"node evaluate.mjs exited {exit}\nstderr:\n{stderr}\nstdout:\n{stdout}");
            return E2eHttp.Parse(stdout);
        }
        finally
        {
            File.Delete(casesFile);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, string[] args, string workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"Node.js is required for the OpenFeature JS end-to-end test and '{file}' could not be started ({ex.Message}). " +
                "Install Node.js 20 or later (scripts/test.sh installs it with apt when missing).");
            throw;
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(Deadline);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Assert.Fail($"node {string.Join(' ', args)} did not finish within {Deadline.TotalSeconds} s; stderr:\n{await stderr}");
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
