using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// A Simple Proxy Protocol receiver of the test's own at REMOTE (a UDP socket in the server
/// namespace): parses the 38-byte header of every datagram strictly, by hand (magic 0x56EC, client
/// address, proxy address, client port, proxy port, network order, IPv4 only as ::ffff:a.b.c.d),
/// records what it saw and answers as Spectrum's origin would: the same 38 bytes, then the payload.
/// A datagram that fails the parse is recorded as an error and never answered.
/// </summary>
internal sealed class SppReceiver : IDisposable
{
    public const int HeaderLength = 38;

    private readonly Socket _socket;
    private readonly Channel<SppDatagram> _received = Channel.CreateUnbounded<SppDatagram>();
    private readonly List<string> _errors = [];
    private readonly Task _loop;

    private SppReceiver(Socket socket, Func<byte[], byte[], byte[]> reply)
    {
        _socket = socket;
        _loop = LoopAsync(reply);
    }

    /// <summary>How the receiver answers (header, payload): by default the header echoed in front of the payload.</summary>
    public static SppReceiver Start(TestNetwork net, IPEndPoint local, Func<byte[], byte[], byte[]>? reply = null) =>
        new(TestNetwork.CreateUdpSocket(net.ServerNs, local), reply ?? ((header, payload) => [.. header, .. payload]));

    public string[] Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public async Task<SppDatagram> NextAsync()
    {
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the SPP receiver got no (further) valid datagram within {TestNetwork.DefaultTimeout.TotalSeconds} s; errors: {string.Join("; ", Errors)}");
        }
    }

    /// <summary>The header fields, or why the datagram is not SPP.</summary>
    public static (IPEndPoint Client, IPEndPoint Proxy)? Parse(ReadOnlySpan<byte> datagram, out string error)
    {
        error = string.Empty;
        if (datagram.Length < HeaderLength)
        {
            error = $"{datagram.Length} bytes, shorter than the header";
            return null;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(datagram) != 0x56EC)
        {
            error = $"magic {Convert.ToHexString(datagram[..2])}";
            return null;
        }

        var client = new IPEndPoint(Address(datagram.Slice(2, 16)), BinaryPrimitives.ReadUInt16BigEndian(datagram[34..]));
        var proxy = new IPEndPoint(Address(datagram.Slice(18, 16)), BinaryPrimitives.ReadUInt16BigEndian(datagram[36..]));
        return (client, proxy);
    }

    // SPP has no family field: ::ffff:0:0/96 is how IPv4 travels.
    private static IPAddress Address(ReadOnlySpan<byte> field)
    {
        var address = new IPAddress(field);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private async Task LoopAsync(Func<byte[], byte[], byte[]> reply)
    {
        byte[] buffer = new byte[70000];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }

            byte[] datagram = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            var sender = (IPEndPoint)r.RemoteEndPoint;
            if (Parse(datagram, out string error) is not { } fields)
            {
                lock (_errors)
                {
                    _errors.Add($"from {sender}: {error}: {Convert.ToHexString(datagram.AsSpan(0, Math.Min(datagram.Length, 40)))}");
                }

                continue;
            }

            byte[] header = datagram[..HeaderLength];
            byte[] payload = datagram[HeaderLength..];
            _received.Writer.TryWrite(new SppDatagram(sender, fields.Client, fields.Proxy, payload));
            try
            {
                await _socket.SendToAsync(reply(header, payload), SocketFlags.None, sender);
            }
            catch (SocketException)
            {
                // The flow may be gone; the test sees the missing reply.
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
