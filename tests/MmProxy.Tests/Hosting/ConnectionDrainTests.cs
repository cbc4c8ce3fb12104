using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Diagnostics;
using MmProxy.Hosting;

namespace MmProxy.Tests.Hosting;

/// <summary>The drain stage of shutdown: waits for ProxyCounters.Active to reach 0, a deadline, or an abort.</summary>
public sealed class ConnectionDrainTests
{
    [Fact]
    public async Task Nothing_open_returns_at_once()
    {
        Assert.Equal(0, await ConnectionDrain.RunAsync(new ProxyCounters(), TimeSpan.FromHours(1), NullLogger.Instance, CancellationToken.None));
    }

    [Fact]
    public async Task Returns_when_the_last_connection_closes()
    {
        var counters = new ProxyCounters();
        counters.OnAccepted();
        counters.OnAccepted();
        Task<long> drain = ConnectionDrain.RunAsync(counters, TimeSpan.FromMinutes(5), NullLogger.Instance, CancellationToken.None);
        counters.OnClosed();
        Assert.False(drain.IsCompleted);
        counters.OnClosed();
        Assert.Equal(0, await drain.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_deadline_gives_up_and_reports_what_is_still_open()
    {
        var counters = new ProxyCounters();
        counters.OnAccepted();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(1, await ConnectionDrain.RunAsync(counters, TimeSpan.FromMilliseconds(200), NullLogger.Instance, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"gave up after {clock.Elapsed}");
    }

    [Fact]
    public async Task Zero_timeout_and_abort_stop_waiting()
    {
        var counters = new ProxyCounters();
        counters.OnAccepted();
        Assert.Equal(1, await ConnectionDrain.RunAsync(counters, TimeSpan.Zero, NullLogger.Instance, CancellationToken.None));
        using var abort = new CancellationTokenSource();
        Task<long> drain = ConnectionDrain.RunAsync(counters, TimeSpan.FromHours(1), NullLogger.Instance, abort.Token);
        await abort.CancelAsync();
        Assert.Equal(1, await drain.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
