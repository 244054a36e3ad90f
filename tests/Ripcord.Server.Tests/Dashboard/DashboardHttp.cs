using System.Net;
using System.Text.RegularExpressions;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>The dashboard over plain HTTP, as a browser without script uses it: sign in through the form, read a page's antiforgery token.</summary>
internal static partial class DashboardHttp
{
    /// <summary>A client with its own cookies, signed in through the sign-in form with <paramref name="token"/>.</summary>
    public static async Task<HttpClient> SignedInAsync(RipcordTestServer server, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        using var page = await http.GetAsync("/");
        using var posted = await http.PostAsync("/session", new FormUrlEncodedContent(
            [new("token", token), new("__csrf", Csrf(await page.Content.ReadAsStringAsync()))]));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        return http;
    }

    /// <summary>A form with the antiforgery token of <paramref name="page"/> as the session just loaded it.</summary>
    public static async Task<FormUrlEncodedContent> FormAsync(HttpClient http, string page, params (string Name, string Value)[] fields)
    {
        using var loaded = await http.GetAsync(page);
        return new FormUrlEncodedContent([.. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)),
            new("__csrf", Csrf(await loaded.Content.ReadAsStringAsync()))]);
    }

    /// <summary>The antiforgery token in a page's forms.</summary>
    public static string Csrf(string html) => CsrfField().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no __csrf field");

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
