using System.Text.RegularExpressions;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>Waits on a process's log output (with a deadline) instead of sleeping.</summary>
internal static class ProcessLog
{
    public static int Count(BackgroundProcess process, string text)
    {
        int count = 0;
        foreach (string line in process.Output.Split('\n'))
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Waits until <paramref name="text"/> appears <paramref name="count"/> times.</summary>
    public static async Task WaitForAsync(BackgroundProcess process, string text, int count = 1, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TestNetwork.DefaultTimeout);
        while (Count(process, text) < count)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Label} exited (code {process.ExitCode}) before logging '{text}' {count} time(s)");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Label} logged '{text}' {Count(process, text)} of {count} time(s) within {(timeout ?? TestNetwork.DefaultTimeout).TotalSeconds} s");
            }
            await Task.Delay(10);
        }
    }

    /// <summary>The first capture group of every match of <paramref name="pattern"/> in the output.</summary>
    public static string[] Matches(BackgroundProcess process, string pattern) =>
        Regex.Matches(process.Output, pattern).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>Waits until <paramref name="condition"/> holds (polling), failing with <paramref name="what"/> after the deadline.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TestNetwork.DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {(timeout ?? TestNetwork.DefaultTimeout).TotalSeconds} s: {what}");
            }
            await Task.Delay(20);
        }
    }
}
