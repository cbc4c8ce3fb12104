using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// client → `mmproxy send` → HAProxy (`accept-proxy`, mode tcp) → echo upstream. HAProxy is the
/// strict judge of the header: it closes a connection whose header it rejects (CRC32C included),
/// and its log line per connection prints the client (%ci:%cp) and destination (%fi:%fp) as it
/// parsed them from the header, plus the UNIQUE_ID TLV (fc_pp_unique_id). So the log shows what the
/// header said, and the echo that every byte passed.
/// </summary>
public sealed partial class SendHaProxyTests
{
    [Theory]
    [InlineData("v1", "ipv4")]
    [InlineData("v1", "ipv6")]
    [InlineData("v2", "ipv4")]
    [InlineData("v2", "ipv6")]
    [InlineData("v2-tlvs", "ipv4")]
    [InlineData("v2-tlvs", "ipv6")]
    public Task HaProxy_parses_the_header_and_every_byte_echoes_with_half_close(string header, string family) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        Upstream upstream = net.StartUpstream(TcpExchange.EchoThenTrailer);
        BackgroundProcess haproxy = await StartAcceptProxyAsync(net);
        string[] extra = header == "v2-tlvs" ? ["--header", "v2", "--crc32c", "--unique-id"] : ["--header", header];
        await SendProcess.StartAsync(net, "tcp", "127.0.0.1:" + TestNetwork.ProxyPort, extra);

        var uniqueIds = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), SendProcess.Port));
            var local = (IPEndPoint)client.LocalEndPoint!;
            await TcpExchange.RunAsync(client);
            await TcpExchange.AssertUpstreamSawAllAsync(await upstream.NextAsync());

            // The line HAProxy logs when the session ends: the addresses from the header, the bytes both ways.
            string expected = string.Create(CultureInfo.InvariantCulture,
                $"PEER {local.Address}:{local.Port} DST {net.Server(af)}:{SendProcess.Port} ");
            await ProcessLog.WaitForAsync(haproxy, expected);
            Match line = LogLine().Match(haproxy.Output.Split('\n').Single(l => l.Contains(expected, StringComparison.Ordinal)));
            Assert.True(line.Success, haproxy.Output);
            Assert.Equal(TcpExchange.Length, long.Parse(line.Groups["up"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(TcpExchange.Length + TcpExchange.Trailer.Length, long.Parse(line.Groups["down"].Value, CultureInfo.InvariantCulture));
            uniqueIds.Add(line.Groups["uid"].Value);
        }

        Assert.DoesNotContain("invalid PROXY", haproxy.Output, StringComparison.Ordinal);
        if (header == "v2-tlvs")
        {
            // 16 bytes each, and a new one per connection.
            Assert.All(uniqueIds, id => Assert.Matches("^[0-9A-F]{32}$", id));
            Assert.NotEqual(uniqueIds[0], uniqueIds[1]);
        }
        else
        {
            Assert.All(uniqueIds, id => Assert.DoesNotMatch("^[0-9A-F]{2,}$", id));
        }
    });

    /// <summary>HAProxy on 127.0.0.1:7000 with accept-proxy in front of the upstream on 7001, logging to stdout.</summary>
    private static async Task<BackgroundProcess> StartAcceptProxyAsync(TestNetwork net)
    {
        string haproxy = RequiredTool.Find("haproxy", "haproxy");
        string config = string.Create(CultureInfo.InvariantCulture, $"""
            global
                maxconn 1024
                log stdout format raw local0 info
            defaults
                mode tcp
                log global
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend fe
                bind 127.0.0.1:{TestNetwork.ProxyPort} accept-proxy
                log-format "PEER %ci:%cp DST %fi:%fp UID %[fc_pp_unique_id,hex] UP %U DOWN %B"
                default_backend be
            backend be
                server s1 127.0.0.1:{TestNetwork.UpstreamPort}

            """);
        string path = net.WriteFile("haproxy-accept.cfg", config);
        BackgroundProcess p = net.Start("haproxy", net.ServerNs, haproxy, ["-f", path, "-db"]);
        await net.WaitListeningAsync(net.ServerNs, TestNetwork.ProxyPort, p);
        return p;
    }

    [GeneratedRegex(@"UID (?<uid>\S*) UP (?<up>\d+) DOWN (?<down>\d+)")]
    private static partial Regex LogLine();
}
