using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// UDP clients → `mmproxy send -p udp --header spp` → <see cref="SppReceiver"/>, which parses the
/// 38-byte header strictly and answers with the same header in front of the payload: the receiver
/// sees the client's address and port and the listen address; the client gets the payload alone,
/// byte-exact, from the address it sent to.
/// </summary>
public sealed class SendSppTests
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("ipv4", "127.0.0.1")]
    [InlineData("ipv6", "127.0.0.1")]
    [InlineData("ipv4", "::1")]
    public Task Spp_header_names_the_client_and_replies_arrive_without_it(string family, string remote) => UdpE2E.RunAsync(async (net, udp) =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var remoteEndPoint = new IPEndPoint(IPAddress.Parse(remote), TestNetwork.ProxyPort);
        using SppReceiver receiver = SppReceiver.Start(net, remoteEndPoint);
        var listen = new IPEndPoint(net.Server(af), SendProcess.Port);
        await SendProcess.StartAsync(net, "udp", remoteEndPoint.ToString(), ["--header", "spp"], listen: listen.ToString());

        var senders = new HashSet<IPEndPoint>();
        for (int c = 0; c < 3; c++)
        {
            using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, af));
            // Sizes around the edges: empty, one byte, and a large datagram.
            foreach (int size in new[] { 0, 1, 1000, 8000 })
            {
                byte[] payload = Streams.Pattern(size + c);
                byte[] reply = await client.ExchangeAsync(payload, ReplyTimeout);
                Assert.Equal(payload, reply);

                SppDatagram seen = await receiver.NextAsync();
                Assert.Equal(client.Local, seen.Client);
                Assert.Equal(listen, seen.Proxy);
                Assert.Equal(payload, seen.Payload);
                senders.Add(seen.Sender);
            }
        }

        // One upstream socket per client flow, from the sender's own (unspoofed) address.
        Assert.Equal(3, senders.Count);
        Assert.All(senders, s => Assert.True(IPAddress.IsLoopback(s.Address), $"sent from {s}"));
        Assert.Empty(receiver.Errors);
    });

    [Fact]
    public Task Replies_without_a_valid_spp_header_are_dropped_and_counted() => UdpE2E.RunAsync(async (net, udp) =>
    {
        var remoteEndPoint = new IPEndPoint(IPAddress.Loopback, TestNetwork.ProxyPort);
        // Answers "bad" datagrams wrongly (no header, or a wrong magic), the rest correctly.
        using SppReceiver receiver = SppReceiver.Start(net, remoteEndPoint, (header, payload) =>
            payload.AsSpan().StartsWith("bad-none"u8) ? payload
            : payload.AsSpan().StartsWith("bad-magic"u8) ? [0x56, 0xED, .. header[2..], .. payload]
            : [.. header, .. payload]);
        BackgroundProcess sender = await SendProcess.StartAsync(net, "udp", remoteEndPoint.ToString(),
            ["--header", "spp"], listen: new IPEndPoint(net.ServerV4, SendProcess.Port).ToString());

        using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
        foreach (string bad in new[] { "bad-none", "bad-magic" })
        {
            await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(bad));
            _ = await receiver.NextAsync();
        }

        // The good reply is the first the client gets: the bad ones came before it on the same
        // flow socket and were not passed on.
        byte[] good = System.Text.Encoding.ASCII.GetBytes("good");
        Assert.Equal(good, await client.ExchangeAsync(good, ReplyTimeout));
        await ProcessLog.WaitForAsync(sender, "the remote's reply has no SPP header");
        Assert.False(sender.HasExited, sender.Describe());

        // Counted: the summary at exit (the failed replies are not a /metrics series).
        await Command.CheckAsync("kill", "-TERM", sender.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await sender.Exited.WaitAsync(TestNetwork.DefaultTimeout);
        Assert.Equal(0, sender.ExitCode);
        Assert.Contains(" 1 replies", sender.Output, StringComparison.Ordinal);
        Assert.Contains("failed replies: 2", sender.Output, StringComparison.Ordinal);
    });
}
