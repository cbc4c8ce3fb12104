using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>
/// Relays one proxied connection in both directions. FIN on one side becomes shutdown(SHUT_WR) on
/// the other while the other direction keeps flowing; a failure (reset) on either side resets both
/// (linger 0); the relay ends when both directions are done. Owns both sockets.
/// </summary>
internal sealed partial class TcpRelay : IDisposable
{
    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly RelayPump _pump;
    private readonly TimeProvider _time;
    private long _bytesToUpstream;
    private long _bytesToClient;
    private long _lastActivity;
    private int _aborted;
    private int _disposed;
    private PumpResult? _prefixFailure;

    public TcpRelay(Socket client, Socket upstream, RelayPump? pump = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        _client = client;
        _upstream = upstream;
        _pump = pump ?? CopyRelayPump.Instance;
        _time = time ?? TimeProvider.System;
        _lastActivity = _time.GetTimestamp();
    }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public long BytesToUpstream => Volatile.Read(ref _bytesToUpstream);

    public long BytesToClient => Volatile.Read(ref _bytesToClient);

    /// <summary>Called by pumps for every chunk read (counts and idle tracking).</summary>
    public void OnReceived(RelayDirection direction, int count)
    {
        if (direction == RelayDirection.ToUpstream)
        {
            Volatile.Write(ref _bytesToUpstream, _bytesToUpstream + count);
        }
        else
        {
            Volatile.Write(ref _bytesToClient, _bytesToClient + count);
        }

        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
    }

    /// <summary>
    /// Sends bytes that arrived with the PROXY header to the upstream, before any relaying. The
    /// memory is not used after this completes. False: the upstream failed (the relay is aborted).
    /// </summary>
    public async ValueTask<bool> SendPrefixAsync(ReadOnlyMemory<byte> prefix)
    {
        if (prefix.IsEmpty)
        {
            return true;
        }

        Volatile.Write(ref _bytesToUpstream, _bytesToUpstream + prefix.Length);
        PumpResult? failure = await CopyRelayPump.SendAllAsync(_upstream, prefix, this).ConfigureAwait(false);
        if (failure is null)
        {
            return true;
        }

        _prefixFailure = failure.Value;
        Abort();
        return false;
    }

    /// <summary>Relays until both directions are done; never throws for socket failures.</summary>
    public async ValueTask<RelayResult> RunAsync()
    {
        if (_prefixFailure is { } prefixFailure)
        {
            return new RelayResult(prefixFailure, PumpResult.Aborted, BytesToUpstream, BytesToClient, IdleTimedOut);
        }

        ValueTask<PumpResult> toUpstream = RunDirectionAsync(_client, _upstream, RelayDirection.ToUpstream);
        ValueTask<PumpResult> toClient = RunDirectionAsync(_upstream, _client, RelayDirection.ToClient);
        PumpResult up = await toUpstream.ConfigureAwait(false);
        PumpResult down = await toClient.ConfigureAwait(false);
        StopIdleTimer();
        return new RelayResult(up, down, BytesToUpstream, BytesToClient, IdleTimedOut);
    }

    private async ValueTask<PumpResult> RunDirectionAsync(Socket source, Socket destination, RelayDirection direction)
    {
        PumpResult result = await _pump.RunAsync(source, destination, direction, this).ConfigureAwait(false);
        if (result.Outcome != PumpOutcome.Completed)
        {
            // A reset on one side resets the other; this also ends the other direction's pump.
            Abort();
        }

        return result;
    }

    /// <summary>Resets both connections (linger 0) and ends both directions. Idempotent.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        ResetAndClose(_client);
        ResetAndClose(_upstream);
    }

    /// <summary>Closes with RST instead of FIN (SO_LINGER 0).</summary>
    public static void ResetAndClose(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already dead: closing is all that is left.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        socket.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopIdleTimer();
        _client.Dispose();
        _upstream.Dispose();
    }
}
