using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Cli;

/// <summary>One named profile: a server, and (kept apart, in the credentials file) a token.</summary>
public sealed record ProfileSettings(string? Server);

/// <summary>
/// The CLI's own settings, for people who run it against several servers: named profiles, each with
/// a server (<c>ripcord config set server URL</c>) and, after <c>ripcord login</c>, a token. Settings live in
/// <c>config.json</c>; tokens only in <c>credentials.json</c>, created readable by the user alone (0600) in a
/// directory only the user may enter (0700). The directory is <c>RIPCORD_CONFIG_DIR</c>, else
/// <c>$XDG_CONFIG_HOME/ripcord</c>, else <c>~/.config/ripcord</c>. What is on the command line, then the
/// environment, always wins over what is stored here (<see cref="GlobalOptions"/>).
/// </summary>
public sealed class Profiles
{
    public const string DefaultName = "default";
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record ConfigFile(string? Current, SortedDictionary<string, ProfileSettings>? Profiles);

    private ConfigFile _config;
    private SortedDictionary<string, string>? _credentials;

    private Profiles(string directory, ConfigFile config)
    {
        Directory = directory;
        _config = config;
    }

    public string Directory { get; }
    public string ConfigPath => Path.Combine(Directory, "config.json");
    public string CredentialsPath => Path.Combine(Directory, "credentials.json");

    /// <summary>The profile used when neither --profile nor RIPCORD_PROFILE names one.</summary>
    public string Current => _config.Current ?? DefaultName;

    public IReadOnlyDictionary<string, ProfileSettings> All => _config.Profiles ?? [];

    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable("RIPCORD_CONFIG_DIR") is { Length: > 0 } dir ? dir
        : Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "ripcord")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "ripcord");

    /// <summary>Reads the settings (none yet is fine); a file that is not what this CLI writes is a one-line error.</summary>
    public static Profiles Load(string? directory = null)
    {
        directory ??= DefaultDirectory();
        var config = Read<ConfigFile>(Path.Combine(directory, "config.json")) ?? new ConfigFile(null, null);
        return new Profiles(directory, config);
    }

    public static bool IsName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public bool Exists(string name) => All.ContainsKey(name) || Credentials().ContainsKey(name);

    public ProfileSettings? Get(string name) => All.GetValueOrDefault(name);

    public string? TokenOf(string name) => Credentials().GetValueOrDefault(name);

    public void SetServer(string name, string server)
    {
        var profiles = new SortedDictionary<string, ProfileSettings>(_config.Profiles ?? [], StringComparer.Ordinal)
        {
            [name] = (Get(name) ?? new ProfileSettings(null)) with { Server = server },
        };
        Save(_config with { Profiles = profiles });
    }

    public void Use(string name) => Save(_config with { Current = name == DefaultName ? null : name });

    public void SetToken(string name, string token)
    {
        var credentials = new SortedDictionary<string, string>(Credentials(), StringComparer.Ordinal) { [name] = token };
        WriteOwnerOnly(CredentialsPath, credentials);
        _credentials = credentials;
        if (!All.ContainsKey(name))
        {
            // Listed by `config show` even before a server is set for it.
            SetServerless(name);
        }
    }

    /// <summary>Forgets a profile's token; true if there was one.</summary>
    public bool RemoveToken(string name)
    {
        var credentials = new SortedDictionary<string, string>(Credentials(), StringComparer.Ordinal);
        if (!credentials.Remove(name))
        {
            return false;
        }
        WriteOwnerOnly(CredentialsPath, credentials);
        _credentials = credentials;
        return true;
    }

    private void SetServerless(string name)
    {
        var profiles = new SortedDictionary<string, ProfileSettings>(_config.Profiles ?? [], StringComparer.Ordinal) { [name] = new(null) };
        Save(_config with { Profiles = profiles });
    }

    private SortedDictionary<string, string> Credentials() =>
        _credentials ??= Read<SortedDictionary<string, string>>(CredentialsPath) ?? new(StringComparer.Ordinal);

    private void Save(ConfigFile config)
    {
        // The settings hold no secret, but nothing in this directory is anyone else's business either.
        WriteOwnerOnly(ConfigPath, config);
        _config = config;
    }

    private void WriteOwnerOnly<T>(string path, T value)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, OwnerOnlyDirectory);
        }
        // Written whole to a new owner-only file, then renamed over the old one: never a half-written or world-readable moment.
        var temporary = path + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, value, FileJson);
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, OwnerOnlyFile);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static T? Read<T>(string path)
    {
        if (!File.Exists(path))
        {
            return default;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), FileJson);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not a settings file this CLI can read ({ex.Message.Split('.')[0]}); fix or delete it", ExitCodes.Usage);
        }
    }
}
