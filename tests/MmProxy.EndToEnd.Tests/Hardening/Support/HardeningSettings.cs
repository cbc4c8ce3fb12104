using System.Globalization;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>
/// Sizes of the hardening scenarios: a short CI variant by default; MMPROXY_HARDENING_FULL=1 selects
/// the full-length runs recorded in docs/hardening.md. A per-scenario variable overrides both.
/// </summary>
internal static class HardeningSettings
{
    public static bool Full => Environment.GetEnvironmentVariable("MMPROXY_HARDENING_FULL") is "1" or "true" or "yes";

    /// <summary>The value of <paramref name="variable"/> if set, else <paramref name="full"/> or <paramref name="ci"/>.</summary>
    public static long Size(string variable, long ci, long full) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value > 0
            ? value
            : Full ? full : ci;

    /// <summary>Appends one result line to the file named by MMPROXY_HARDENING_RECORD (for docs/hardening.md).</summary>
    public static void Record(string text)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {(Full ? "full" : "ci")} {text}";
        E2E.Trace("hardening: " + line);
        string? path = Environment.GetEnvironmentVariable("MMPROXY_HARDENING_RECORD");
        if (!string.IsNullOrEmpty(path))
        {
            File.AppendAllText(path, line + "\n");
        }
    }
}
