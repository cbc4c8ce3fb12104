using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Tcp;
using MmProxy.Tcp.EventLoop;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp.EventLoop;

/// <summary>The real TCP pipeline on the native event loop engine, on 127.0.0.1, in this process.</summary>
internal sealed class LoopProxy : IAsyncDisposable
{
    private readonly TcpListenerGroup _listeners;

    private LoopProxy(TcpListenerGroup listeners, ListLoggerFactory logs, ProxyCounters counters)
    {
        _listeners = listeners;
        Logs = logs;
        Counters = counters;
    }

    public IPEndPoint EndPoint => _listeners.EndPoint;

    public ListLoggerFactory Logs { get; }

    public ProxyCounters Counters { get; }

    public static LoopProxy Start(ProxyOptions options, AllowedSubnets? subnets = null)
    {
        Assert.True(MmProxy.Interop.Epoll.IsSupported, "the event loop needs Linux x86-64");
        var logs = new ListLoggerFactory();
        var counters = new ProxyCounters();
        ILogger log = logs.CreateLogger(LogCategories.Proxy);
        TcpListenerGroup listeners = TcpListenerGroup.Open(new IPEndPoint(IPAddress.Loopback, 0), options.Listeners, 128, log, counters, out string? error)
            ?? throw new InvalidOperationException(error);
        var handler = new TcpConnectionHandler(options, new AllowedSubnetsProvider(subnets ?? AllowedSubnets.AllowAll), logs, counters);
        listeners.Start(handler, TcpEngine.Loop);
        return new LoopProxy(listeners, logs, counters);
    }

    public ValueTask DisposeAsync() => _listeners.DisposeAsync();
}
