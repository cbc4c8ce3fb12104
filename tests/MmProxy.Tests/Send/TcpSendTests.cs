using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Send;

/// <summary>
/// The TCP engine as the sending side (mmproxy send): a plain connection reaches the remote (the
/// rig's upstream) from our own address, behind one header naming the client and the address it
/// connected to; then the relay as on the receiving side.
/// </summary>
public sealed class TcpSendTests
{
    [Fact]
    public async Task V1_header_names_the_client_and_the_address_it_reached_then_bytes_go_both_ways()
    {
        await using var rig = TcpLoopRig.Start(o => (o.Role, o.SendHeader) = (ListenerRole.Send, SendHeaderFormat.V1));
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "hello"u8.ToArray());
        using Socket remote = await rig.AcceptAsync();

        string expected = $"PROXY TCP4 127.0.0.1 127.0.0.1 {((IPEndPoint)client.LocalEndPoint!).Port} {rig.EndPoint.Port}\r\nhello";
        Assert.Equal(expected, Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(remote, expected.Length)));
        await Loopback.SendAllAsync(remote, "world"u8.ToArray());
        Assert.Equal("world", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(client, 5)));
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)remote.RemoteEndPoint!).Address);

        // Half-close: the client's FIN reaches the remote, which can still answer.
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await remote.ReceiveAsync(new byte[1]).WaitAsync(Loopback.Deadline));
        await Loopback.SendAllAsync(remote, "bye"u8.ToArray());
        Assert.Equal("bye", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(client, 3)));
    }

    [Fact]
    public async Task V2_header_carries_a_valid_crc32c_and_a_unique_id_per_connection()
    {
        await using var rig = TcpLoopRig.Start(o => (o.Role, o.SendCrc32C, o.SendUniqueId) = (ListenerRole.Send, true, true));
        var ids = new HashSet<string>();
        for (int i = 0; i < 2; i++)
        {
            using Socket client = await rig.ConnectAsync();
            await Loopback.SendAllAsync(client, "x"u8.ToArray());
            using Socket remote = await rig.AcceptAsync();
            byte[] header = await Loopback.ReadExactlyAsync(remote, ProxyHeaderWriter.GetV2Length(ProxyFamily.Tcp4, [ProxyTlv.UniqueId(new byte[16])], crc32c: true) + 1);
            ProxyParseResult parsed = ProxyHeaderParser.Default.Parse(header);
            Assert.True(parsed.IsComplete, parsed.ToString()); // the parser checks the CRC32C
            Assert.True(parsed.Header.HasCrc32C);
            Assert.Equal(ProxyFamily.Tcp4, parsed.Header.Family);
            Assert.Equal(ProxyAddress.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!), parsed.Header.Source);
            ProxyTlv id = Assert.Single(parsed.Header.Tlvs, t => t.Type == ProxyTlvType.UniqueId);
            Assert.Equal(16, id.Value.Length);
            Assert.True(ids.Add(Convert.ToHexString(id.Value.Span)), "the unique id repeats");
            Assert.Equal((byte)'x', header[^1]);
        }
    }

    [Fact]
    public async Task Remote_that_refuses_resets_the_client()
    {
        int closedPort = TcpLoopRig.FreeClientPort();
        await using var rig = TcpLoopRig.Start(o =>
        {
            o.Role = ListenerRole.Send;
            o.TargetV4 = o.TargetV6 = new IPEndPoint(IPAddress.Loopback, closedPort);
        });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await client.ConnectAsync(rig.EndPoint).WaitAsync(Loopback.Deadline);
            await Loopback.AssertResetAsync(client);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The refusal can be that fast: the reset lands before connect() reports success.
        }
        await rig.WaitUntilAsync(() => rig.Counters.UpstreamRefused == 1, "the refusal counted");
    }
}
