using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary>
/// The middle stage of shutdown (stop accepting → drain → close the rest): after the listeners are
/// closed, waits until the open TCP connections finish or --shutdown-timeout passes (or a second
/// stop signal arrives). Whatever is still open is closed by the process exit.
/// </summary>
internal static class ConnectionDrain
{
    // Polling a counter: cheaper and simpler than a completion signal on every connection close,
    // and shutdown is the only reader.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <returns>The number of connections still open when the drain ended (0: all finished).</returns>
    public static async Task<long> RunAsync(ProxyCounters counters, TimeSpan timeout, ILogger log, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(log);
        long open = counters.Active;
        if (open == 0)
        {
            return 0;
        }

        if (timeout <= TimeSpan.Zero)
        {
            DrainLog.Abandoned(log, open, 0);
            return open;
        }

        DrainLog.Draining(log, open, (long)timeout.TotalMilliseconds);
        long started = Environment.TickCount64;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(abort);
        deadline.CancelAfter(timeout);
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while ((open = counters.Active) > 0 && await timer.WaitForNextTickAsync(deadline.Token).ConfigureAwait(false))
            {
            }
        }
        catch (OperationCanceledException)
        {
            open = counters.Active;
        }

        long elapsed = Environment.TickCount64 - started;
        if (open == 0)
        {
            DrainLog.Drained(log, elapsed);
        }
        else
        {
            DrainLog.Abandoned(log, open, elapsed);
        }

        return open;
    }
}
