using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;
using MmProxy.ProxyProtocol.Tests.Fuzz;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Attacker-controlled bytes never reach the log unescaped: at -v 2, in text and in JSON format,
/// headers and payloads carrying CR, LF, ESC, NUL, DEL, C1 controls and Unicode line separators
/// (v1 UNKNOWN with junk, invalid v1 lines with embedded newlines, v2 TLV values, v2 UNIX paths,
/// mutated headers) must leave a log where every line is one well-formed record (JSON lines parse,
/// text lines start with a timestamp) made of printable ASCII only.
/// </summary>
public sealed class LogInjectionHardeningTests
{
    private const string Evil = "\r\nFAKE 2026-01-01T00:00:00.000Z crit: mmproxy[6] forged\u001b[2J\u001b]0;title\u0007\0\u007f\u0085\u2028end";
    private const int MutatedCases = 300;

    private static IEnumerable<byte[]> AttackHeaders(TestNetwork net)
    {
        var src = ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4321));
        var dst = ProxyAddress.FromIPEndPoint(new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort));
        byte[] evil = Encoding.UTF8.GetBytes(Evil);
        yield return Encoding.UTF8.GetBytes("PROXY UNKNOWN " + Evil.Replace("\r\n", "  ", StringComparison.Ordinal) + "\r\n" + Evil);
        yield return Encoding.UTF8.GetBytes("PROXY TCP4 1.2.3.4" + Evil + " 5.6.7.8 1 2\r\n");
        yield return Encoding.UTF8.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n" + Evil);
        yield return Encoding.UTF8.GetBytes("PROXY \u001b[31mTCP9\r\n");
        yield return Encoding.UTF8.GetBytes("GET /" + Evil + " HTTP/1.1\r\n\r\n");
        yield return ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, src, dst,
        [
            ProxyTlv.Authority(Evil), ProxyTlv.Alpn(Evil), ProxyTlv.Netns(Evil), ProxyTlv.UniqueId(evil.AsSpan(0, Math.Min(evil.Length, 128))),
            new ProxyTlv((ProxyTlvType)0xE5, evil), ProxyTlv.Aws(Evil),
            ProxyTlv.Ssl(ProxySslClientFlags.Ssl, 0, [ProxyTlv.FromText(ProxyTlvType.SslVersion, Evil), ProxyTlv.FromText(ProxyTlvType.SslCn, Evil)]),
        ]);
        foreach (ProxyFamily unix in new[] { ProxyFamily.UnixStream, ProxyFamily.UnixDgram })
        {
            yield return ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, unix,
                ProxyAddress.FromUnixPath("/run/" + Evil), ProxyAddress.FromUnixPath("@" + Evil.Replace("\0", "", StringComparison.Ordinal)));
        }
        yield return ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.UnixStream,
            ProxyAddress.FromUnixPath("/" + Evil), ProxyAddress.FromUnixPath("/x"), [ProxyTlv.Authority(Evil)]);
        // A v2 UNIX block written by hand: path bytes straight from the attacker (no NUL terminator at all).
        byte[] raw = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x31, 0x00, 216, .. new byte[216]];
        for (int i = 0; i < 216; i++)
        {
            raw[16 + i] = evil[i % evil.Length] == 0 ? (byte)0x1b : evil[i % evil.Length];
        }
        yield return raw;
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public Task Control_bytes_from_peers_never_reach_the_log_raw(string format) => E2E.RunAsync(async net =>
    {
        string logPath = Path.Combine(net.TempDir, "proxy.log");
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
            ProxyLauncher.Arguments("-v", "2", "--log-format", format, "--header-timeout", "2s"), stderrFile: logPath);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);

        var inputs = new List<byte[]>(AttackHeaders(net));
        var mutator = new HeaderMutator(new Random(7));
        var random = new Random(8);
        byte[] evil = Encoding.UTF8.GetBytes(Evil);
        for (int i = 0; i < MutatedCases; i++)
        {
            byte[] m = mutator.Next();
            // Salt the mutation with control bytes at a random place.
            int at = random.Next(m.Length + 1);
            inputs.Add([.. m.AsSpan(0, at), .. evil.AsSpan(0, random.Next(1, evil.Length)), .. m.AsSpan(at)]);
        }

        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork);
        await Task.WhenAll(inputs.Chunk(inputs.Count / 8 + 1).Select(chunk => Task.Run(async () =>
        {
            foreach (byte[] input in chunk)
            {
                using Socket s = supply.Take();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await s.ConnectAsync(proxyEndPoint, cts.Token);
                try
                {
                    await Streams.SendAllAsync(s, input, cts.Token);
                    s.Shutdown(SocketShutdown.Send);
                    _ = await Streams.ReceiveAsync(s, ct: cts.Token);
                }
                catch (SocketException)
                {
                    // Refused: fine, the log is what is checked.
                }
            }
        })));
        await RelayProbe.AssertRelaysAsync(net, upstream, "after the attack connections");

        (string[] lines, int invalid) = await StopAndCheckLogAsync(proxy, logPath, format);
        string summary = $"log-injection (tcp, {format}): {inputs.Count} attack connections, {lines.Length} log lines ({invalid} invalid-header lines), all printable ASCII";
        HardeningSettings.Record(summary);
        net.Note(summary);
        // -v 2 really logged the attacks (the test could fail): most inputs are invalid headers.
        Assert.True(invalid > inputs.Count / 4, $"only {invalid} invalid-header lines for {inputs.Count} attack connections: {summary}");
        Assert.Contains(lines, l => l.Contains("unix:", StringComparison.Ordinal));
    });

    /// <summary>
    /// Stops the proxy (SIGTERM: it logs its last lines and flushes), then checks the raw log file:
    /// printable ASCII and newlines only; one JSON object or one timestamped record per line.
    /// Returns the lines and how many report an invalid header.
    /// </summary>
    private static async Task<(string[] Lines, int Invalid)> StopAndCheckLogAsync(BackgroundProcess proxy, string logPath, string format)
    {
        await Command.CheckAsync("kill", "-TERM", proxy.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await proxy.Exited.WaitAsync(TimeSpan.FromSeconds(15));
        byte[] log = await File.ReadAllBytesAsync(logPath);

        int offending = Array.FindIndex(log, b => b != (byte)'\n' && (b < 0x20 || b > 0x7E));
        if (offending >= 0)
        {
            int start = Math.Max(0, offending - 120);
            Assert.Fail($"raw byte 0x{log[offending]:X2} at offset {offending} of the {format} log: " +
                $"{Convert.ToHexString(log.AsSpan(start, Math.Min(240, log.Length - start)))}\n{Encoding.UTF8.GetString(log.AsSpan(start, Math.Min(240, log.Length - start)))}");
        }
        string[] lines = Encoding.ASCII.GetString(log).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int invalid = 0;
        foreach (string line in lines)
        {
            if (format == "json")
            {
                try
                {
                    using JsonDocument doc = JsonDocument.Parse(line);
                    Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                }
                catch (JsonException e)
                {
                    Assert.Fail($"not one JSON object per line ({e.Message}): {line}");
                }
            }
            else
            {
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): ", line);
            }
            // The forged text may appear escaped inside a record, never as a record of its own.
            Assert.DoesNotMatch(@"^FAKE", line);
            if (line.Contains("invalid PROXY header", StringComparison.Ordinal) || line.Contains("dropped:", StringComparison.Ordinal))
            {
                invalid++;
            }
        }
        return (lines, invalid);
    }

    /// <summary>The same attack inputs as datagrams at the proxy in UDP mode (each datagram: header then payload).</summary>
    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public Task Control_bytes_in_datagrams_never_reach_the_log_raw(string format) => E2E.RunAsync(async net =>
    {
        string logPath = Path.Combine(net.TempDir, "proxy-udp.log");
        await using UdpUpstream upstream = UdpUpstream.Start(net.ServerNs, TestNetwork.UpstreamPort, UdpUpstreamMode.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
            ["-p", "udp", .. ProxyLauncher.Arguments("-v", "2", "--log-format", format)], stderrFile: logPath, waitListening: false);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, proxy);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);

        var inputs = new List<byte[]>(AttackHeaders(net));
        byte[] evil = Encoding.UTF8.GetBytes(Evil);
        // Valid UDP headers whose payload is the attack: forwarded, never logged.
        var client = ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4321));
        inputs.Add([.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, client, ProxyAddress.FromIPEndPoint(proxyEndPoint),
            [ProxyTlv.Authority(Evil), new ProxyTlv((ProxyTlvType)0xE5, evil)]), .. evil]);
        inputs.Add([.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.UnixDgram, ProxyAddress.FromUnixPath("/run/" + Evil), ProxyAddress.FromUnixPath("/x")), .. evil]);
        var mutator = new HeaderMutator(new Random(17));
        var random = new Random(18);
        for (int i = 0; i < MutatedCases; i++)
        {
            byte[] m = mutator.Next();
            int at = random.Next(m.Length + 1);
            inputs.Add([.. m.AsSpan(0, at), .. evil.AsSpan(0, random.Next(1, evil.Length)), .. m.AsSpan(at)]);
        }
        using Socket sender = TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.ClientV4, 0));
        foreach (byte[] datagram in inputs)
        {
            await sender.SendToAsync(datagram, SocketFlags.None, proxyEndPoint);
            // Drop logs are rate-limited to one a second: pace so that several kinds get logged.
            await Pace.WaitAsync(3);
        }
        // The valid datagram above reaches the upstream: wait for it as proof everything was handled.
        await ProcessProbe.WaitForAsync(() => upstream.Count, n => n > 0, TimeSpan.FromSeconds(5));

        (string[] lines, int dropped) = await StopAndCheckLogAsync(proxy, logPath, format);
        string summary = $"log-injection (udp, {format}): {inputs.Count} attack datagrams, {lines.Length} log lines ({dropped} drop lines), all printable ASCII";
        HardeningSettings.Record(summary);
        net.Note(summary);
        Assert.True(dropped > 0, $"no drop was logged at -v 2: {summary}");
    });
}
