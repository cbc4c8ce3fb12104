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

    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
