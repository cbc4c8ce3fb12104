namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Waits for a condition that raises no event of its own (a socket in `ss`, a figure in /proc, a
/// metrics page), checking it every few milliseconds until it holds or the deadline passes: the one
/// place the tests poll. Anything that does signal (output lines, sockets, process exit) is awaited
/// directly instead.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Until <paramref name="condition"/> holds; a <see cref="TimeoutException"/> saying <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? TestNetwork.DefaultTimeout;
        DateTime deadline = DateTime.UtcNow + limit;
        using var timer = new PeriodicTimer(Interval);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {limit.TotalSeconds} s: {what()}");
            }

            await timer.WaitForNextTickAsync();
        }
    }

    public static Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Reads until <paramref name="condition"/> holds for the value, or the deadline; returns the last value (the caller asserts on it).</summary>
    public static async Task<T> ValueAsync<T>(Func<T> read, Func<T, bool> condition, TimeSpan timeout)
    {
        T value = read();
        try
        {
            await UntilAsync(() => condition(value = read()), () => "never true", timeout);
        }
        catch (TimeoutException)
        {
            // The caller's assertion on the value says what went wrong.
        }

        return value;
    }
}
