namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The timing of a scenario: a sender that trickles bytes, a reader that stalls, keep-alive traffic
/// at an interval. Never used to wait for something to happen (that is awaited, or <see cref="Eventually"/>).
/// </summary>
internal static class Pace
{
    public static Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken = default) => Task.Delay(interval, cancellationToken);

    public static Task WaitAsync(int milliseconds, CancellationToken cancellationToken = default) => Task.Delay(milliseconds, cancellationToken);
}
