using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The service behind mmproxy, in-process: listens on 127.0.0.1:port and [::1]:port inside the
/// server namespace, records every accepted connection (peer endpoint first of all) and runs a
/// handler on it.
/// </summary>
internal sealed class Upstream : IAsyncDisposable
{
    private readonly Socket[] _listeners;
    private readonly Func<UpstreamConnection, Task> _handler;
    private readonly Channel<UpstreamConnection> _accepted = Channel.CreateUnbounded<UpstreamConnection>();
    private readonly List<UpstreamConnection> _all = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private Upstream(Socket[] listeners, Func<UpstreamConnection, Task> handler)
    {
        _listeners = listeners;
        _handler = handler;
    }

    public int Port { get; private init; }

    public static Upstream Start(string ns, int port, Func<UpstreamConnection, Task> handler)
    {
        Socket[] listeners = NetworkNamespace.Run(ns, () => new[]
        {
            new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
            new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp),
        });
        listeners[1].DualMode = false;
        listeners[0].Bind(new IPEndPoint(IPAddress.Loopback, port));
        listeners[1].Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
        var upstream = new Upstream(listeners, handler) { Port = port };
        foreach (Socket l in listeners)
        {
            l.Listen(4096);
            upstream._loops.Add(upstream.AcceptLoopAsync(l));
        }
        return upstream;
    }

    public int AcceptedCount
    {
        get
        {
            lock (_all)
            {
                return _all.Count;
            }
        }
    }

    public UpstreamConnection[] Accepted
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var c = new UpstreamConnection(s);
            lock (_all)
            {
                _all.Add(c);
            }
            c.Completion = Task.Run(() => _handler(c));
            _accepted.Writer.TryWrite(c);
        }
    }

    /// <summary>The next accepted connection, in accept order; throws if none arrives in time.</summary>
    public async Task<UpstreamConnection> NextAsync(TimeSpan? timeout = null)
    {
        TimeSpan t = timeout ?? TestNetwork.DefaultTimeout;
        using var cts = new CancellationTokenSource(t);
        try
        {
            return await _accepted.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the upstream accepted no (further) connection within {t.TotalSeconds} s");
        }
    }

    /// <summary>
    /// The one place a bounded wait is itself the assertion: nothing may reach the upstream within
    /// the window.
    /// </summary>
    public async Task AssertNothingAcceptedAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            UpstreamConnection c = await _accepted.Reader.ReadAsync(cts.Token);
            Assert.Fail($"the upstream accepted a connection it should never have seen: {c}");
        }
        catch (OperationCanceledException)
        {
            // Expected: nothing arrived.
        }
    }

    public string Describe()
    {
        UpstreamConnection[] all = Accepted;
        string list = string.Join('\n', all.Take(20).Select(c => "  " + c));
        return $"=== upstream :{Port}: {all.Length} connections accepted\n{list}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (Socket l in _listeners)
        {
            l.Dispose();
        }
        await Task.WhenAll(_loops);
        foreach (UpstreamConnection c in Accepted)
        {
            c.Socket.Dispose();
        }
        _stop.Dispose();
    }
}
