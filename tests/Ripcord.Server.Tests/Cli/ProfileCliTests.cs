using System.Text.Json;
using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 8: `ripcord config set server`, `ripcord login` (the token in a file only the user can
/// read), named profiles with --profile, and the line and the environment still winning. The real
/// executable against a real server, with a settings directory of the test's own.
/// </summary>
public sealed class ProfileCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;
    private readonly string _root = TestPaths.NewDataDirectory("cli-profiles");
    private string ConfigDirectory => Path.Combine(_root, "ripcord"); // made by the CLI, so its mode is the CLI's

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TestPaths.TryDelete(_root);
    }

    private Dictionary<string, string?> Environment(string? token = null, string? server = null, string? profile = null) => new(StringComparer.Ordinal)
    {
        ["RIPCORD_CONFIG_DIR"] = ConfigDirectory,
        ["RIPCORD_TOKEN"] = token,
        ["RIPCORD_SERVER"] = server,
        ["RIPCORD_PROFILE"] = profile,
    };

    private Task<ProcessResult> Ripcord(params string[] args) => RipcordCli.RunWithEnvironmentAsync(Environment(), args);

    private static void Ok(ProcessResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AfterConfigSetAndLogin_VerbsNeedNeitherServerNorToken_AndTheTokenIsOwnerOnlyAndNeverShown()
    {
        var operatorToken = await _server.CreateTokenAsync("operator");
        Ok(await Ripcord("config", "set", "server", _server.Url));
        var login = await RipcordCli.RunWithInputAsync(Environment(), operatorToken + "\n", "login");
        Ok(login);
        Assert.Contains("Logged in", login.StdOut, StringComparison.Ordinal);

        Ok(await Ripcord("flags", "list"));
        var credentials = Path.Combine(ConfigDirectory, "credentials.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ConfigDirectory));
        Assert.DoesNotContain(operatorToken, await File.ReadAllTextAsync(Path.Combine(ConfigDirectory, "config.json")), StringComparison.Ordinal);

        var show = await Ripcord("config", "show");
        Ok(show);
        Assert.DoesNotContain(operatorToken, show.StdOut + show.StdErr, StringComparison.Ordinal);
        Assert.Contains("token from profile", show.StdOut, StringComparison.Ordinal);
        var shown = JsonDocument.Parse((await Ripcord("config", "show", "--json")).StdOut).RootElement;
        Assert.Equal("profile", shown.GetProperty("serverSource").GetString());
        Assert.Equal(_server.Url, shown.GetProperty("server").GetString());

        Ok(await Ripcord("logout"));
        Assert.Equal(ExitCodes.NotAuthenticated, (await Ripcord("flags", "list")).ExitCode);
    }

    [Fact]
    public async Task TheLineAndTheEnvironment_WinOverTheStoredProfile()
    {
        var operatorToken = await _server.CreateTokenAsync("operator");
        Ok(await Ripcord("config", "set", "server", _server.Url));
        Ok(await RipcordCli.RunWithInputAsync(Environment(), operatorToken, "login"));

        // A wrong token in the environment is sent instead of the stored one (401), as is a server nobody serves (unreachable).
        Assert.Equal(ExitCodes.NotAuthenticated,
            (await RipcordCli.RunWithEnvironmentAsync(Environment(token: "rc_usr_not_a_token_0123456789"), "flags", "list")).ExitCode);
        Assert.Equal(ExitCodes.Unreachable,
            (await RipcordCli.RunWithEnvironmentAsync(Environment(server: "http://127.0.0.1:1"), "flags", "list")).ExitCode);
        Assert.Equal(ExitCodes.Unreachable, (await Ripcord("flags", "list", "--server", "http://127.0.0.1:1")).ExitCode);
        var fromEnvironment = JsonDocument.Parse(
            (await RipcordCli.RunWithEnvironmentAsync(Environment(server: _server.Url, token: operatorToken), "config", "show", "--json")).StdOut).RootElement;
        Assert.Equal("environment", fromEnvironment.GetProperty("serverSource").GetString());
        Assert.Equal("environment", fromEnvironment.GetProperty("tokenSource").GetString());
    }

    [Fact]
    public async Task NamedProfiles_KeepTheirOwnServerAndToken_AndAnUnknownProfileIsAUsageError()
    {
        var viewerToken = await _server.CreateTokenAsync("viewer");
        Ok(await Ripcord("config", "set", "server", "http://127.0.0.1:1")); // the default profile: a server nobody serves
        Ok(await Ripcord("config", "set", "server", _server.Url, "--profile", "prod"));
        Ok(await RipcordCli.RunWithInputAsync(Environment(), viewerToken, "login", "--profile", "prod"));

        Ok(await Ripcord("flags", "list", "--profile", "prod"));
        Ok(await RipcordCli.RunWithEnvironmentAsync(Environment(profile: "prod"), "flags", "list"));
        Assert.Equal(ExitCodes.Unreachable, (await Ripcord("flags", "list")).ExitCode);
        var unknown = await Ripcord("flags", "list", "--profile", "staging");
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("no profile 'staging'", unknown.StdErr, StringComparison.Ordinal);

        Ok(await Ripcord("config", "use", "prod"));
        Ok(await Ripcord("flags", "list"));
        Assert.Equal(ExitCodes.NotFound, (await Ripcord("config", "use", "staging")).ExitCode);
    }

    [Fact]
    public async Task LoginWithATokenTheServerDoesNotKnow_Exits3_AndStoresNothing()
    {
        Ok(await Ripcord("config", "set", "server", _server.Url));
        var refused = await RipcordCli.RunWithInputAsync(Environment(), "rc_usr_not_a_token_0123456789\n", "login");

        Assert.Equal(ExitCodes.NotAuthenticated, refused.ExitCode);
        Assert.False(File.Exists(Path.Combine(ConfigDirectory, "credentials.json")));
        Assert.DoesNotContain("rc_usr_not_a_token_0123456789", refused.StdOut + refused.StdErr, StringComparison.Ordinal);
    }
}
