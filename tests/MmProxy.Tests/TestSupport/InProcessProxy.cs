using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Tcp;

namespace MmProxy.Tests.TestSupport;

/// <summary>The real TCP pipeline (listener → handler → relay) on 127.0.0.1, in this process.</summary>
internal sealed class InProcessProxy : IAsyncDisposable
{
    private readonly TcpListenerGroup _listeners;

    private InProcessProxy(TcpListenerGroup listeners, ListLoggerFactory logs, ProxyCounters counters)
    {
        _listeners = listeners;
        Logs = logs;
        Counters = counters;
    }

    public IPEndPoint EndPoint => _listeners.EndPoint;

    public ListLoggerFactory Logs { get; }

    public ProxyCounters Counters { get; }

    public static InProcessProxy Start(ProxyOptions options, AllowedSubnets? subnets = null, IPEndPoint? listen = null)
    {
        var logs = new ListLoggerFactory();
        var counters = new ProxyCounters();
        ILogger log = logs.CreateLogger(LogCategories.Proxy);
        TcpListenerGroup listeners = TcpListenerGroup.Open(listen ?? new IPEndPoint(IPAddress.Loopback, 0), options.Listeners, 128, log, counters, out string? error)
            ?? throw new InvalidOperationException(error);
        var handler = new TcpConnectionHandler(options, new AllowedSubnetsProvider(subnets ?? AllowedSubnets.AllowAll), logs, counters);
        listeners.Start(handler);
        return new InProcessProxy(listeners, logs, counters);
    }

    /// <summary>Waits until <paramref name="condition"/> holds (counters are updated after sockets close).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Loopback.Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for " + what);
            }

            await Task.Delay(10);
        }
    }

    public ValueTask DisposeAsync() => _listeners.DisposeAsync();
}
