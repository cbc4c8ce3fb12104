using System.Globalization;

namespace MmProxy.Hosting;

/// <summary>Kernel settings that shape defaults.</summary>
internal static class KernelLimits
{
    private const int FallbackBacklog = 4096;

    /// <summary>The soft RLIMIT_NOFILE of this process (from /proc/self/limits), or null if unknown/unlimited.</summary>
    public static long? MaxOpenFiles()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unknown: no budget.
        }

        return null;
    }

    /// <summary>
    /// Descriptors still free under the soft RLIMIT_NOFILE after those open now and
    /// <paramref name="reserve"/> (at least 0), or null when there is no finite limit.
    /// </summary>
    public static long? FreeDescriptors(int reserve) =>
        MaxOpenFiles() is { } limit && limit < int.MaxValue ? Math.Max(0, limit - OpenFileCount() - reserve) : null;

    /// <summary>Descriptors this process has open now (entries of /proc/self/fd), or 0 if unknown.</summary>
    public static int OpenFileCount()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

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
