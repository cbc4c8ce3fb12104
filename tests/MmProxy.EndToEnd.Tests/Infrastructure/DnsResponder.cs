using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A tiny authoritative DNS responder over UDP for the dnsdist test, in the server namespace on
/// 127.0.0.1:port and [::1]:port: answers every query (its question copied) with one A record,
/// <see cref="Answer"/>, and records the source endpoint and name of each query.
/// </summary>
internal sealed class DnsResponder : IAsyncDisposable
{
    public static readonly IPAddress Answer = IPAddress.Parse("192.0.2.53");

    private readonly Socket[] _sockets;
    private readonly List<(IPEndPoint Source, string Name)> _queries = [];
    private readonly List<Task> _loops = [];

    private DnsResponder(Socket[] sockets) => _sockets = sockets;

    public static DnsResponder Start(string ns, int port)
    {
        Socket[] sockets = NetworkNamespace.Run(ns, () => new[]
        {
            new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp),
            new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp),
        });
        sockets[1].DualMode = false;
        sockets[0].Bind(new IPEndPoint(IPAddress.Loopback, port));
        sockets[1].Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
        var responder = new DnsResponder(sockets);
        foreach (Socket s in sockets)
        {
            responder._loops.Add(responder.LoopAsync(s));
        }
        return responder;
    }

    public (IPEndPoint Source, string Name)[] Queries
    {
        get
        {
            lock (_queries)
            {
                return [.. _queries];
            }
        }
    }

    private async Task LoopAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }
            byte[]? response = TryAnswer(buffer.AsSpan(0, r.ReceivedBytes), out string name);
            lock (_queries)
            {
                _queries.Add(((IPEndPoint)r.RemoteEndPoint, name));
            }
            if (response is not null)
            {
                try
                {
                    await socket.SendToAsync(response, SocketFlags.None, r.RemoteEndPoint);
                }
                catch (SocketException)
                {
                    // The test sees the missing answer.
                }
            }
        }
    }

    /// <summary>A response with the query's id, RD, question and one A record; null for anything not a query.</summary>
    private static byte[]? TryAnswer(ReadOnlySpan<byte> query, out string name)
    {
        name = "?";
        if (query.Length < 12 || (query[2] & 0x80) != 0 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }
        int offset = 12;
        var labels = new List<string>();
        while (offset < query.Length && query[offset] != 0)
        {
            int length = query[offset];
            if (length > 63 || offset + 1 + length > query.Length)
            {
                return null;
            }
            labels.Add(System.Text.Encoding.ASCII.GetString(query.Slice(offset + 1, length)));
            offset += 1 + length;
        }
        offset += 1 + 4; // root label, QTYPE, QCLASS
        if (offset > query.Length)
        {
            return null;
        }
        name = string.Join('.', labels) + ".";
        ReadOnlySpan<byte> question = query[12..offset];
        var response = new byte[12 + question.Length + 16];
        query[..2].CopyTo(response);                                          // id
        response[2] = (byte)(0x84 | (query[2] & 0x01));                       // QR, AA, RD copied
        response[3] = 0x80;                                                   // RA, NOERROR
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), 1);         // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), 1);         // ANCOUNT
        question.CopyTo(response.AsSpan(12));
        Span<byte> answer = response.AsSpan(12 + question.Length);
        BinaryPrimitives.WriteUInt16BigEndian(answer, 0xC00C);                // name: pointer to the question
        BinaryPrimitives.WriteUInt16BigEndian(answer[2..], 1);                // A
        BinaryPrimitives.WriteUInt16BigEndian(answer[4..], 1);                // IN
        BinaryPrimitives.WriteUInt32BigEndian(answer[6..], 60);               // TTL
        BinaryPrimitives.WriteUInt16BigEndian(answer[10..], 4);               // RDLENGTH
        Answer.GetAddressBytes().CopyTo(answer[12..]);
        return response;
    }

    public string Describe()
    {
        lock (_queries)
        {
            return $"=== DNS responder: {_queries.Count} quer(ies): " + string.Join(", ", _queries.Take(20).Select(q => $"{q.Name} from {q.Source}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
        await Task.WhenAll(_loops);
    }
}
