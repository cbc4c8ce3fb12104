using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using MmProxy.Interop;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>
/// A minimal HTTP/1.1 responder on a raw socket for --metrics: one request per connection
/// (Connection: close), request head at most 8 KiB within 5 s, at most 16 scrapes at once. Not
/// ASP.NET Core: it would add hundreds of milliseconds to startup for two fixed routes.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxRequestBytes = 8192;
    private const int MaxConcurrent = 16;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly MetricsRequestRouter _router;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private Task _loop = Task.CompletedTask;

    private MetricsEndpoint(Socket listener, MetricsRequestRouter router, ILogger log)
    {
        _listener = listener;
        _router = router;
        _log = log;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Binds and listens, or returns null with an error message that says what to do.</summary>
    public static MetricsEndpoint? Open(IPEndPoint endPoint, MetricsRequestRouter router, ILogger log, out string? error)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(router);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }

            // SO_REUSEADDR alone (SocketOptionName.ReuseAddress would set SO_REUSEPORT too on Linux).
            _ = SocketOptions.SetInt((int)socket.Handle, SocketOptions.SolSocket, SocketOptions.SoReuseAddr, 1);
            socket.Bind(endPoint);
            socket.Listen(64);
            error = null;
            return new MetricsEndpoint(socket, router, log);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"--metrics {endPoint}: the address is already in use (see `ss -ltnp 'sport = :{endPoint.Port}'`)"
                : $"--metrics {endPoint}: cannot listen: {ex.Message}";
            return null;
        }
    }

    public void Start()
    {
        _loop = AcceptLoopAsync();
        MetricsLog.Serving(_log, EndPoint);
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue;
            }
            catch (SocketException ex)
            {
                MetricsLog.AcceptFailed(_log, EndPoint, ex.Message);
                try
                {
                    await Task.Delay(100, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (!_slots.Wait(0))
            {
                // Too many scrapes at once: refuse rather than queue behind slow clients.
                client.Dispose();
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using (client)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(RequestTimeout);
                string? head = await ReadHeadAsync(client, timeout.Token).ConfigureAwait(false);
                HttpResponse response = head is null
                    ? new HttpResponse(400, "Bad Request", "text/plain; charset=utf-8", "bad request\n")
                    : _router.Route(head);
                byte[] bytes = MetricsRequestRouter.Serialize(response);
                await client.SendAsync(bytes, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The scraper went away or was too slow: nothing to do.
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Reads until the blank line ending the request head; null when too large or closed early.</summary>
    private static async Task<string?> ReadHeadAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            int searchFrom = Math.Max(0, length - 3);
            length += read;
            ReadOnlySpan<byte> received = buffer.AsSpan(0, length);
            int end = received[searchFrom..].IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.ASCII.GetString(received[..(searchFrom + end)]);
            }

            int bareEnd = received[searchFrom..].IndexOf("\n\n"u8);
            if (bareEnd >= 0)
            {
                return Encoding.ASCII.GetString(received[..(searchFrom + bareEnd)]);
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
        }
    }
}
