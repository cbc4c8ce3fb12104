using System.Globalization;

namespace MmProxy.Hosting.Systemd;

/// <summary>
/// WatchdogSec= as systemd passes it: WATCHDOG_USEC (the timeout) and WATCHDOG_PID (only that
/// process should ping). We ping at half the timeout, as sd_watchdog_enabled(3) recommends.
/// </summary>
internal static class WatchdogSettings
{
    /// <summary>The ping interval, or null when the watchdog is off or meant for another process.</summary>
    public static TimeSpan? PingInterval(string? usecText, string? pidText, int ownPid)
    {
        if (string.IsNullOrEmpty(usecText)
            || !ulong.TryParse(usecText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pidText)
            && (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != ownPid))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    public static TimeSpan? FromEnvironment() =>
        PingInterval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
}
