using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Tproxy;

/// <summary>
/// A service on an address <see cref="Upstream"/> does not cover (127.0.0.2): it listens, so a
/// refusal there is the proxy's doing rather than a failed connect, and it records any accept.
/// </summary>
internal sealed class SilentService : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Task<Socket> _first;
    private readonly CancellationTokenSource _stop = new();

    private SilentService(Socket listener)
    {
        _listener = listener;
        _first = listener.AcceptAsync(_stop.Token).AsTask();
    }

    public static SilentService Start(string ns, IPEndPoint endPoint)
    {
        Socket listener = NetworkNamespace.CreateSocket(ns, endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endPoint);
        listener.Listen(16);
        return new SilentService(listener);
    }

    /// <summary>Like <see cref="Upstream.AssertNothingAcceptedAsync"/>: the bounded wait is the assertion.</summary>
    public async Task AssertNothingAcceptedAsync(TimeSpan window)
    {
        Task done = await Task.WhenAny(_first, Task.Delay(window));
        if (done == _first && _first.IsCompletedSuccessfully)
        {
            Assert.Fail($"{_listener.LocalEndPoint} accepted a connection from {_first.Result.RemoteEndPoint} it should never have seen");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            (await _first).Dispose();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Nothing was accepted.
        }

        _stop.Dispose();
    }
}
