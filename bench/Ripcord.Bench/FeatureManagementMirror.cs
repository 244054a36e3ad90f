using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;

namespace Ripcord.Bench;

/// <summary>
/// One Ripcord flag's audience set up in Microsoft.FeatureManagement 4.7.0 two ways:
/// <list type="bullet">
/// <item>the full path: <see cref="IVariantFeatureManager.IsEnabledAsync{TContext}"/> over an
///   in-memory <see cref="IConfiguration"/> holding a feature with one <c>Microsoft.Targeting</c>
///   filter (what an application does);</item>
/// <item>the filter alone: <see cref="ContextualTargetingFilter.EvaluateAsync"/> with the
///   settings bound once up front. <c>TargetingEvaluator.IsTargeted</c> is internal in 4.7.0,
///   so this public call (a null check and a cast around it) is the lowest level reachable.</item>
/// </list>
/// </summary>
public sealed class FeatureManagementMirror : IDisposable
{
    private readonly ServiceProvider _services;

    public FeatureManagementMirror(string feature, TargetingAudience audience)
    {
        Feature = feature;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(ToConfiguration(feature, audience))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddFeatureManagement();
        _services = services.BuildServiceProvider();
        FeatureManager = _services.GetRequiredService<IVariantFeatureManager>();

        Filter = new ContextualTargetingFilter(Options.Create(new TargetingEvaluationOptions()), NullLoggerFactory.Instance);
        FilterContext = new FeatureFilterEvaluationContext
        {
            FeatureName = feature,
            Settings = Settings(audience),
        };
    }

    public string Feature { get; }
    public IVariantFeatureManager FeatureManager { get; }
    public ContextualTargetingFilter Filter { get; }
    public FeatureFilterEvaluationContext FilterContext { get; }

    public static TargetingContext Context(string userId, IEnumerable<string> groups) =>
        new() { UserId = userId, Groups = [.. groups] };

    public ValueTask<bool> IsEnabledAsync(TargetingContext context) =>
        FeatureManager.IsEnabledAsync(Feature, context, CancellationToken.None);

    public Task<bool> FilterAsync(TargetingContext context) => Filter.EvaluateAsync(FilterContext, context);

    public void Dispose() => _services.Dispose();

    private static TargetingFilterSettings Settings(TargetingAudience audience) => new()
    {
        Audience = new Audience
        {
            Users = [.. audience.Users],
            Groups = [.. audience.Groups.Select(g => new GroupRollout { Name = g.Name, RolloutPercentage = g.RolloutPercentage })],
            DefaultRolloutPercentage = audience.DefaultRolloutPercentage,
            Exclusion = new BasicAudience
            {
                Users = [.. audience.ExcludedUsers],
                Groups = [.. audience.ExcludedGroups],
            },
        },
    };

    /// <summary>The feature in the .NET feature-management configuration schema.</summary>
    private static Dictionary<string, string?> ToConfiguration(string feature, TargetingAudience audience)
    {
        var prefix = $"FeatureManagement:{feature}:EnabledFor:0:";
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [prefix + "Name"] = "Microsoft.Targeting",
            [prefix + "Parameters:Audience:DefaultRolloutPercentage"] = audience.DefaultRolloutPercentage.ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < audience.Users.Count; i++)
        {
            data[$"{prefix}Parameters:Audience:Users:{i}"] = audience.Users[i];
        }
        for (var i = 0; i < audience.Groups.Count; i++)
        {
            data[$"{prefix}Parameters:Audience:Groups:{i}:Name"] = audience.Groups[i].Name;
            data[$"{prefix}Parameters:Audience:Groups:{i}:RolloutPercentage"] =
                audience.Groups[i].RolloutPercentage.ToString(CultureInfo.InvariantCulture);
        }
        for (var i = 0; i < audience.ExcludedUsers.Count; i++)
        {
            data[$"{prefix}Parameters:Audience:Exclusion:Users:{i}"] = audience.ExcludedUsers[i];
        }
        for (var i = 0; i < audience.ExcludedGroups.Count; i++)
        {
            data[$"{prefix}Parameters:Audience:Exclusion:Groups:{i}"] = audience.ExcludedGroups[i];
        }
        return data;
    }
}
