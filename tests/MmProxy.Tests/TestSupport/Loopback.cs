using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tests.TestSupport;

/// <summary>Loopback socket helpers with deadlines (tests wait on events, never sleep).</summary>
internal static class Loopback
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Two connected TCP sockets over 127.0.0.1.</summary>
    public static async Task<(Socket Connector, Socket Accepted)> CreatePairAsync(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(1);
        var connector = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        Task connect = connector.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync().WaitAsync(Deadline);
        await connect.WaitAsync(Deadline);
        return (connector, accepted);
    }

    public static Socket Listen(IPEndPoint endPoint)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            listener.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
        }

        listener.Bind(endPoint);
        listener.Listen(64);
        return listener;
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None).AsTask().WaitAsync(Deadline);
            data = data[sent..];
        }
    }

    /// <summary>Reads until FIN; throws SocketException on reset, TimeoutException past the deadline.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var stream = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Deadline);
            if (n == 0)
            {
                return stream.ToArray();
            }

            stream.Write(buffer, 0, n);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fails on early FIN).</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(Deadline);
            if (n == 0)
            {
                throw new EndOfStreamException($"FIN after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Waits until reading fails with a reset; fails on data or FIN.</summary>
    public static async Task AssertResetAsync(Socket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Deadline);
                if (n == 0)
                {
                    Assert.Fail("expected a reset, got FIN");
                }
            }
        }
        catch (SocketException ex)
        {
            Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        }
    }

    /// <summary>Nothing pending on <paramref name="socket"/>: no data, no FIN, no reset.</summary>
    public static void AssertStillOpen(Socket socket, string what) =>
        Assert.False(socket.Poll(0, SelectMode.SelectRead), what + ": expected the connection still open, but data, FIN or a reset is pending");

    /// <summary>
    /// Sends <paramref name="chunk"/> over and over without blocking until the socket's send buffer
    /// is full (the path behind it is then full too), hashing what went out; returns the byte count.
    /// The socket is left non-blocking.
    /// </summary>
    public static long FillUntilBlocked(Socket socket, byte[] chunk, System.Security.Cryptography.IncrementalHash? sent = null)
    {
        socket.Blocking = false;
        long deadline = Environment.TickCount64 + (long)Deadline.TotalMilliseconds;
        long total = 0;
        while (true)
        {
            Assert.True(Environment.TickCount64 < deadline, $"the send buffer never filled up ({total} bytes sent)");
            int n = socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return total;
            }

            Assert.Equal(SocketError.Success, error);
            sent?.AppendData(chunk, 0, n);
            total += n;
        }
    }

    /// <summary>
    /// A reset that came after the peer's FIN was read: recv keeps returning 0 then, so the reset
    /// shows in the TCP state (TCP_CLOSE; a FIN alone leaves CLOSE_WAIT). Polled: no event reports it.
    /// </summary>
    public static void AssertResetAfterFin(Socket socket)
    {
        const int TcpClose = 7;
        const int TcpCloseWait = 8;
        byte[] info = new byte[8];
        int State()
        {
            // tcp_info's first byte is the state (IPPROTO_TCP = 6, TCP_INFO = 11).
            Assert.True(socket.GetRawSocketOption(6, 11, info) >= 1);
            return info[0];
        }

        Assert.True(SpinWait.SpinUntil(() => State() != TcpCloseWait, Deadline), "expected a reset after the FIN; the connection is still half-open");
        Assert.Equal(TcpClose, State());
    }

    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
