using System.Globalization;

namespace MmProxy.Hosting;

/// <summary>Kernel settings that shape defaults.</summary>
internal static class KernelLimits
{
    private const int FallbackBacklog = 4096;

    /// <summary>net.core.somaxconn: the largest listen backlog the kernel honours.</summary>
    public static int MaxListenBacklog()
    {
        try
        {
            string text = File.ReadAllText("/proc/sys/net/core/somaxconn").Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
                ? value
                : FallbackBacklog;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return FallbackBacklog;
        }
    }
}
