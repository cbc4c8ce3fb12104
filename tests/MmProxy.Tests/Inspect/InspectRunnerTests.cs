using System.Text;
using System.Text.Json;
using MmProxy.Inspect;

namespace MmProxy.Tests.Inspect;

public sealed class InspectRunnerTests
{
    private static InspectOutcome Run(InspectRequest request, byte[]? stdin = null) => InspectRun.Run(request, stdin);

    private static InspectOutcome RunHex(byte[] bytes) => InspectRun.Hex(bytes);

    [Fact]
    public void V1_from_stdin_with_payload()
    {
        InspectOutcome o = Run(new InspectRequest(null, null), InspectSamples.V1Tcp4WithPayload);
        Assert.Equal(0, o.ExitCode);
        Assert.Equal(string.Empty, o.Stderr);
        JsonElement json = o.Json();
        Assert.Equal(InspectSamples.HeaderKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Equal("PROXY", json.GetProperty("command").GetString());
        Assert.Equal("TCP4", json.GetProperty("family").GetString());
        Assert.Equal("192.168.0.1:56324", json.GetProperty("source").GetString());
        Assert.Equal("192.168.0.11:443", json.GetProperty("destination").GetString());
        Assert.Equal(47, json.GetProperty("headerLength").GetInt32());
        Assert.Equal(16, json.GetProperty("payloadLength").GetInt32());
        Assert.Equal(0, json.GetProperty("tlvs").GetArrayLength());
        Assert.Equal("absent", json.GetProperty("crc32c").GetString());
    }

    [Fact]
    public void V1_tcp6_and_unknown()
    {
        JsonElement v6 = RunHex(InspectSamples.V1Tcp6).Json();
        Assert.Equal("TCP6", v6.GetProperty("family").GetString());
        Assert.Equal("[2001:db8::1]:1234", v6.GetProperty("source").GetString());
        Assert.Equal("[2001:db8::2]:443", v6.GetProperty("destination").GetString());

        InspectOutcome unknown = RunHex(InspectSamples.V1Unknown);
        Assert.Equal(0, unknown.ExitCode);
        JsonElement json = unknown.Json();
        Assert.Equal("UNKNOWN", json.GetProperty("family").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("source").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("destination").ValueKind);
    }

    [Fact]
    public void V2_local_has_no_addresses()
    {
        JsonElement json = RunHex(InspectSamples.V2Local).Json();
        Assert.Equal(InspectSamples.HeaderKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, json.GetProperty("version").GetInt32());
        Assert.Equal("LOCAL", json.GetProperty("command").GetString());
        Assert.Equal("UNSPEC", json.GetProperty("family").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("source").ValueKind);
        Assert.Equal(16, json.GetProperty("headerLength").GetInt32());
    }

    [Fact]
    public void V2_tcp4_and_unix()
    {
        JsonElement v4 = RunHex(InspectSamples.V2Tcp4).Json();
        Assert.Equal("192.0.2.1:1234", v4.GetProperty("source").GetString());
        Assert.Equal(28, v4.GetProperty("headerLength").GetInt32());

        JsonElement unix = RunHex(InspectSamples.V2Unix).Json();
        Assert.Equal("UNIX_STREAM", unix.GetProperty("family").GetString());
        Assert.Equal("/run/client.sock", unix.GetProperty("source").GetString());
        Assert.Equal("/run/server.sock", unix.GetProperty("destination").GetString());
    }

    [Fact]
    public void V2_with_ssl_and_aws_tlvs_decodes_every_field()
    {
        InspectOutcome o = RunHex([.. InspectSamples.V2SslAws, 1, 2, 3]);
        Assert.Equal(0, o.ExitCode);
        JsonElement json = o.Json();
        Assert.Equal("TCP6", json.GetProperty("family").GetString());
        Assert.Equal(3, json.GetProperty("payloadLength").GetInt32());
        Assert.Equal("valid", json.GetProperty("crc32c").GetString());
        JsonElement[] tlvs = [.. json.GetProperty("tlvs").EnumerateArray()];
        Assert.Equal(
            ["ALPN", "AUTHORITY", "SSL", "AWS", "AZURE", "GCP", "UNKNOWN", "CRC32C"],
            tlvs.Select(t => t.GetProperty("name").GetString()));
        Assert.All(tlvs, t => Assert.True(t.TryGetProperty("type", out _) && t.TryGetProperty("valueHex", out _)));

        Assert.Equal(1, tlvs[0].GetProperty("type").GetInt32());
        Assert.Equal("6832", tlvs[0].GetProperty("valueHex").GetString());
        Assert.Equal("h2", tlvs[0].GetProperty("value").GetString());
        Assert.Equal("www.example.com", tlvs[1].GetProperty("value").GetString());

        JsonElement ssl = tlvs[2];
        Assert.Equal(0x20, ssl.GetProperty("type").GetInt32());
        Assert.Equal(3, ssl.GetProperty("client").GetInt32());
        Assert.Equal(["SSL", "CERT_CONN"], ssl.GetProperty("clientFlags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0u, ssl.GetProperty("verify").GetUInt32());
        Assert.True(ssl.GetProperty("verified").GetBoolean());
        JsonElement[] subs = [.. ssl.GetProperty("subTlvs").EnumerateArray()];
        Assert.Equal(["SSL_VERSION", "SSL_CN", "SSL_CIPHER"], subs.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal("TLSv1.3", subs[0].GetProperty("value").GetString());
        Assert.Equal("client.example.com", subs[1].GetProperty("value").GetString());
        Assert.Equal(0x22, subs[1].GetProperty("type").GetInt32());

        Assert.Equal(0xEA, tlvs[3].GetProperty("type").GetInt32());
        Assert.Equal(1, tlvs[3].GetProperty("subtype").GetInt32());
        Assert.Equal("vpce-08d2bf15fac5001c9", tlvs[3].GetProperty("vpcEndpointId").GetString());
        Assert.Equal(0x12345678u, tlvs[4].GetProperty("privateLinkId").GetUInt32());
        Assert.Equal(0x0102030405060708ul, tlvs[5].GetProperty("pscConnectionId").GetUInt64());
        Assert.Equal(0x42, tlvs[6].GetProperty("type").GetInt32());
        Assert.Equal("abcd", tlvs[6].GetProperty("valueHex").GetString());
        Assert.True(tlvs[7].TryGetProperty("checksum", out _));
    }

    [Fact]
    public void Ssl_without_a_client_certificate_is_not_verified()
    {
        byte[] header = MmProxy.ProxyProtocol.ProxyHeaderWriter.WriteV2(
            MmProxy.ProxyProtocol.ProxyCommand.Proxy,
            MmProxy.ProxyProtocol.ProxyFamily.Tcp4,
            MmProxy.ProxyProtocol.ProxyAddress.FromAddressBytes([192, 0, 2, 1], 1),
            MmProxy.ProxyProtocol.ProxyAddress.FromAddressBytes([192, 0, 2, 2], 2),
            [MmProxy.ProxyProtocol.ProxyTlv.Ssl(MmProxy.ProxyProtocol.ProxySslClientFlags.Ssl, 0)]);
        JsonElement ssl = RunHex(header).Json().GetProperty("tlvs")[0];
        Assert.Equal(["SSL"], ssl.GetProperty("clientFlags").EnumerateArray().Select(e => e.GetString()));
        Assert.False(ssl.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public void Hex_may_contain_whitespace_and_a_0x_prefix()
    {
        string spaced = string.Join(" \n\t", InspectSamples.Hex(InspectSamples.V2Tcp4).Chunk(4).Select(c => new string(c)));
        Assert.Equal(0, Run(new InspectRequest(spaced, null)).ExitCode);
        Assert.Equal(0, Run(new InspectRequest("0x" + InspectSamples.Hex(InspectSamples.V2Tcp4).ToLowerInvariant(), null)).ExitCode);
    }

    [Fact]
    public void File_input()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mmproxy-inspect-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, InspectSamples.V2SslAws);
            InspectOutcome o = Run(new InspectRequest(null, path));
            Assert.Equal(0, o.ExitCode);
            Assert.Equal(InspectSamples.V2SslAws.Length, o.Json().GetProperty("headerLength").GetInt32());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n", "v1: port out of range")]
    [InlineData("PROXY TCP4 ::1 192.168.0.11 1 443\r\n", "v1: TCP4 with IPv6 address")]
    [InlineData("GET / HTTP/1.1\r\n", "not a PROXY protocol or SPP header")]
    public void Invalid_header_exits_1_with_the_reason(string input, string reason)
    {
        InspectOutcome o = Run(new InspectRequest(null, null), Encoding.ASCII.GetBytes(input));
        Assert.Equal(1, o.ExitCode);
        JsonElement json = o.Json();
        Assert.Equal(["format", "error"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(reason, json.GetProperty("error").GetString());
        Assert.Contains(reason, o.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Crc_mismatch_is_invalid()
    {
        byte[] bad = [.. InspectSamples.V2SslAws];
        bad[20] ^= 1;
        InspectOutcome o = RunHex(bad);
        Assert.Equal(1, o.ExitCode);
        Assert.Equal("v2: CRC32C mismatch", o.Json().GetProperty("error").GetString());
    }

    [Fact]
    public void Incomplete_header_exits_3()
    {
        InspectOutcome o = RunHex(InspectSamples.V2SslAws[..40]);
        Assert.Equal(3, o.ExitCode);
        Assert.Contains("more bytes", o.Json().GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("incomplete", o.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, Run(new InspectRequest(null, null), []).ExitCode);
    }

    [Theory]
    [InlineData("0d0a0", "odd number")]
    [InlineData("0d0a0g", "not a hex digit")]
    public void Bad_hex_is_a_usage_error(string hex, string message)
    {
        InspectOutcome o = Run(new InspectRequest(hex, null));
        Assert.Equal(2, o.ExitCode);
        Assert.Equal(string.Empty, o.Stdout);
        Assert.Contains(message, o.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_errors_exit_2()
    {
        Assert.Equal(2, Run(new InspectRequest("00", "/x")).ExitCode);
        Assert.Equal(2, Run(new InspectRequest(null, "/nonexistent/mmproxy-inspect")).ExitCode);
        InspectOutcome noInput = Run(new InspectRequest(null, null));
        Assert.Equal(2, noInput.ExitCode);
        Assert.Contains("no input", noInput.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Run(new InspectRequest("00", null, MaxHeaderSize: 1)).ExitCode);
    }

    [Fact]
    public void Max_header_size_option()
    {
        InspectOutcome o = Run(new InspectRequest(InspectSamples.Hex(InspectSamples.V2SslAws), null, MaxHeaderSize: 64));
        Assert.Equal(1, o.ExitCode);
        Assert.Equal("v2: header larger than the configured maximum", o.Json().GetProperty("error").GetString());
    }

    [Fact]
    public void Command_is_named_inspect_with_its_options()
    {
        System.CommandLine.Command command = InspectCommand.Create();
        Assert.Equal("inspect", command.Name);
        Assert.Equal(["--hex", "--file", "--max-header-size"], command.Options.Select(o => o.Name));
    }

    [Fact]
    public void Json_is_utf8_and_one_object()
    {
        InspectOutcome o = RunHex(InspectSamples.V2Unix);
        Assert.StartsWith("{", o.Stdout.TrimStart(), StringComparison.Ordinal);
        Assert.EndsWith("}", o.Stdout.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(o.Stdout, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(o.Stdout)));
    }
}
