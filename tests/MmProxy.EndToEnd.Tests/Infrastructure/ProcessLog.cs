using System.Text.RegularExpressions;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>Waits on a process's log output (with a deadline) instead of sleeping.</summary>
internal static class ProcessLog
{
    public static int Count(BackgroundProcess process, string text) => Count(process.Output, text);

    /// <summary>Waits until <paramref name="text"/> appears <paramref name="count"/> times (at each new line, not by polling).</summary>
    public static async Task WaitForAsync(BackgroundProcess process, string text, int count = 1, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? TestNetwork.DefaultTimeout;
        if (await process.WaitForOutputAsync(output => Count(output, text) >= count, limit))
        {
            return;
        }

        if (process.HasExited)
        {
            throw new InvalidOperationException($"{process.Label} exited (code {process.ExitCode}) before logging '{text}' {count} time(s)");
        }

        throw new TimeoutException($"{process.Label} logged '{text}' {Count(process, text)} of {count} time(s) within {limit.TotalSeconds} s");
    }

    /// <summary>Occurrences of <paramref name="text"/> in <paramref name="output"/>, a line at most once.</summary>
    public static int Count(string output, string text)
    {
        int count = 0;
        foreach (string line in output.Split('\n'))
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The first capture group of every match of <paramref name="pattern"/> in the output.</summary>
    public static string[] Matches(BackgroundProcess process, string pattern) =>
        Regex.Matches(process.Output, pattern).Select(m => m.Groups[1].Value).ToArray();
}
