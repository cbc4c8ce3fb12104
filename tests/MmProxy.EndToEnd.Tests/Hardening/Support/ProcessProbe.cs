using System.Globalization;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>Resource figures of a running process, read from /proc/PID.</summary>
internal static class ProcessProbe
{
    /// <summary>Resident set size in KiB (VmRSS in /proc/PID/status).</summary>
    public static long RssKb(int pid) => StatusField(pid, "VmRSS:");

    public static long Threads(int pid) => StatusField(pid, "Threads:");

    /// <summary>Open file descriptors (entries of /proc/PID/fd).</summary>
    public static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>Open sockets (fd links to socket:[inode]): one or two per live connection, plus the listeners.</summary>
    public static int Sockets(int pid) => CountLinks(pid, "socket:");

    /// <summary>Open pipe ends: the splice relay keeps a bounded pool of idle pipes, so these may stay.</summary>
    public static int Pipes(int pid) => CountLinks(pid, "pipe:");

    private static int CountLinks(int pid, string prefix)
    {
        int count = 0;
        foreach (string fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith(prefix, StringComparison.Ordinal) == true)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return count;
    }

    /// <summary>
    /// Descriptors that are not files (sockets, pipes, epoll and event fds): what a leak would grow.
    /// Files are left out because the runtime maps assemblies lazily, on first use of a code path.
    /// </summary>
    public static int NonFileFds(int pid)
    {
        int count = 0;
        foreach (string fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith('/') == false)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return count;
    }

    /// <summary>Open descriptors grouped by kind (socket, pipe, anon_inode:…, file), for failure messages.</summary>
    public static string DescribeFds(int pid)
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string kind;
            try
            {
                string target = new FileInfo(fd).LinkTarget ?? "?";
                int bracket = target.IndexOf(":[", StringComparison.Ordinal);
                kind = target.StartsWith('/') ? "file" : bracket > 0 ? target[..bracket] : target;
            }
            catch (IOException)
            {
                continue;
            }
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        return string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"));
    }

    private static long StatusField(int pid, string name)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                string value = line[name.Length..].Trim();
                int space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space < 0 ? value : value[..space], NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no {name}");
    }

    /// <summary>Reads until <paramref name="condition"/> holds for the value read by <paramref name="read"/>; returns the last value read (the caller asserts on it).</summary>
    public static Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> condition, TimeSpan timeout) => Eventually.ValueAsync(read, condition, timeout);
}
