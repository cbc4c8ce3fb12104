using System.Globalization;
using System.Text;
using MmProxy.Interop;

namespace MmProxy.Hosting;

/// <summary>Kernel settings that shape defaults.</summary>
internal static class KernelLimits
{
    /// <summary>
    /// The fewest open files mmproxy starts with. Idle, the process holds about 80 descriptors (single
    /// file) to 110 (framework-dependent: every assembly is mapped through an open file), the
    /// listeners keep 64 in reserve, and each connection takes two. Below about 70 to 90 the runtime
    /// itself cannot load an assembly, set up the console or start a thread, and dies (exit 134)
    /// without saying why; below about 25 it cannot even start (before Main: nothing to do there).
    /// </summary>
    public const int MinimumOpenFiles = 128;

    /// <summary>Descriptors kept free for the runtime (threads, assemblies, logging) beyond those open at start, by TCP and UDP listeners alike.</summary>
    public const int DescriptorReserve = 64;

    private const int FallbackBacklog = 4096;

    /// <summary>
    /// False when the soft RLIMIT_NOFILE, in <paramref name="limit"/>, is below
    /// <see cref="MinimumOpenFiles"/>. The runtime has already raised it to the hard limit (CoreCLR's
    /// start-up does, as the Go runtime does for go-mmproxy), so only the hard limit can be this low.
    /// Runs before anything else opens a file, and opens none itself.
    /// </summary>
    public static bool HasEnoughOpenFiles(out long limit)
    {
        if (!ResourceLimits.TryGetOpenFiles(out ulong soft))
        {
            // Cannot be read: nothing to check (the runtime reports any failure itself).
            limit = -1;
            return true;
        }

        limit = soft > long.MaxValue ? long.MaxValue : (long)soft;
        return limit >= MinimumOpenFiles;
    }

    /// <summary>
    /// Says on standard error why mmproxy cannot start with <paramref name="limit"/> open files. A
    /// raw write(2): setting up the console needs descriptors of its own.
    /// </summary>
    public static void ReportOpenFileLimitTooLow(long limit)
    {
        string message = string.Create(CultureInfo.InvariantCulture,
            $"mmproxy: the open file limit (RLIMIT_NOFILE) is {limit}, too low to start: the runtime alone holds 80 to 110 descriptors and each connection takes two more; mmproxy needs at least {MinimumOpenFiles}. Raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n; e.g. 65536)\n");

        // Standard error closed or broken: the exit status is all that is left.
        _ = Descriptor.WriteAll(Descriptor.StandardError, Encoding.UTF8.GetBytes(message));
    }

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
