using System.Text;
using System.Text.Json;
using MmProxy.Inspect;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tests.Inspect;

/// <summary>Which format inspect found (PROXY v1, PROXY v2, SPP), in every answer, and SPP decoding.</summary>
public sealed class InspectFormatTests
{
    private static byte[] V2(byte versionCommand, byte family, params byte[] body) =>
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, versionCommand, family, (byte)(body.Length >> 8), (byte)body.Length, .. body];

    [Theory]
    [MemberData(nameof(ProxyHeaders))]
    public void Every_proxy_header_names_its_format(string hex, string format)
    {
        InspectOutcome o = InspectRun.Run(new InspectRequest(hex, null));
        Assert.True(o.ExitCode == InspectExitCodes.Valid, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(InspectSamples.HeaderKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(format, json.GetProperty("format").GetString());
    }

    public static TheoryData<string, string> ProxyHeaders() => new()
    {
        { InspectSamples.Hex(InspectSamples.V1Tcp4WithPayload), "PROXY v1" },
        { InspectSamples.Hex(InspectSamples.V1Unknown), "PROXY v1" },
        { InspectSamples.Hex(InspectSamples.V2Local), "PROXY v2" },
        { InspectSamples.Hex(InspectSamples.V2SslAws), "PROXY v2" },
        { InspectSamples.Hex(InspectSamples.V2Unix), "PROXY v2" },
    };

    [Fact]
    public void Spp_ipv4_with_payload()
    {
        InspectOutcome o = InspectRun.Hex(InspectSamples.SppIPv4WithPayload);
        Assert.True(o.ExitCode == InspectExitCodes.Valid, o.ToString());
        Assert.Equal(string.Empty, o.Stderr);
        JsonElement json = o.Json();
        Assert.Equal(InspectSamples.SppKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SPP", json.GetProperty("format").GetString());
        Assert.Equal("192.0.2.10:40000", json.GetProperty("client").GetString());
        Assert.Equal("198.51.100.7:53", json.GetProperty("proxy").GetString());
        Assert.Equal(38, json.GetProperty("headerLength").GetInt32());
        Assert.Equal(4, json.GetProperty("payloadLength").GetInt32());
    }

    [Fact]
    public void Spp_ipv6_of_exactly_38_bytes_from_stdin()
    {
        InspectOutcome o = InspectRun.Run(new InspectRequest(null, null), InspectSamples.SppIPv6);
        Assert.True(o.ExitCode == InspectExitCodes.Valid, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal("[2001:db8::1]:443", json.GetProperty("client").GetString());
        Assert.Equal("[2001:db8::53]:8443", json.GetProperty("proxy").GetString());
        Assert.Equal(0, json.GetProperty("payloadLength").GetInt32());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    [InlineData(37)]
    public void Spp_magic_shorter_than_38_bytes_is_incomplete(int length)
    {
        InspectOutcome o = InspectRun.Hex(InspectSamples.SppIPv6[..length]);
        Assert.True(o.ExitCode == InspectExitCodes.Incomplete, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(["format", "error"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SPP", json.GetProperty("format").GetString());
        Assert.Contains("more bytes", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("incomplete SPP header", o.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("56")]
    [InlineData("56ED000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("EC56000000000000000000000000000000000000000000000000000000000000000000000000")]
    public void Neither_proxy_nor_spp_is_invalid_without_a_format(string hex)
    {
        InspectOutcome o = InspectRun.Run(new InspectRequest(hex, null));
        Assert.True(o.ExitCode == InspectExitCodes.Invalid, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(JsonValueKind.Null, json.GetProperty("format").ValueKind);
        Assert.Equal("not a PROXY protocol or SPP header", json.GetProperty("error").GetString());
        Assert.Contains("invalid header: not a PROXY protocol or SPP header", o.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_and_incomplete_proxy_headers_name_their_format()
    {
        InspectOutcome v1 = InspectRun.Run(new InspectRequest(null, null), Encoding.ASCII.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n"));
        Assert.Equal(InspectExitCodes.Invalid, v1.ExitCode);
        Assert.Equal("PROXY v1", v1.Json().GetProperty("format").GetString());
        Assert.Contains("invalid PROXY v1 header: v1: port out of range", v1.Stderr, StringComparison.Ordinal);

        InspectOutcome v2 = InspectRun.Hex(V2(0x21, 0x11, 0x01, 0x00));
        Assert.Equal(InspectExitCodes.Invalid, v2.ExitCode);
        Assert.Equal("PROXY v2", v2.Json().GetProperty("format").GetString());

        InspectOutcome v1Prefix = InspectRun.Run(new InspectRequest(null, null), Encoding.ASCII.GetBytes("PROXY TCP6 "));
        Assert.Equal(InspectExitCodes.Incomplete, v1Prefix.ExitCode);
        Assert.Equal("PROXY v1", v1Prefix.Json().GetProperty("format").GetString());
        Assert.Contains("incomplete PROXY v1 header", v1Prefix.Stderr, StringComparison.Ordinal);

        InspectOutcome v2Prefix = InspectRun.Hex(InspectSamples.V2SslAws[..20]);
        Assert.Equal(InspectExitCodes.Incomplete, v2Prefix.ExitCode);
        Assert.Equal("PROXY v2", v2Prefix.Json().GetProperty("format").GetString());

        InspectOutcome empty = InspectRun.Run(new InspectRequest(null, null), []);
        Assert.Equal(InspectExitCodes.Incomplete, empty.ExitCode);
        Assert.Equal(JsonValueKind.Null, empty.Json().GetProperty("format").ValueKind);
    }

    [Fact]
    public void Local_unspec_tlvs_are_reported()
    {
        InspectOutcome o = InspectRun.Hex(InspectSamples.V2LocalWithTlvs);
        Assert.True(o.ExitCode == InspectExitCodes.Valid, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal("LOCAL", json.GetProperty("command").GetString());
        Assert.Equal("UNSPEC", json.GetProperty("family").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("source").ValueKind);
        Assert.Equal(["UNIQUE_ID", "CRC32C"], json.GetProperty("tlvs").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(Convert.ToHexStringLower("check-7"u8), json.GetProperty("tlvs")[0].GetProperty("valueHex").GetString());
        Assert.Equal("valid", json.GetProperty("crc32c").GetString());
    }

    [Fact]
    public void Local_tlvs_after_an_address_block_are_reported_without_the_addresses()
    {
        // An AWS NLB style health check: LOCAL, TCP4, placeholder addresses, then a TLV.
        byte[] header = ProxyHeaderWriter.WriteV2(
            ProxyCommand.Local,
            ProxyFamily.Tcp4,
            ProxyAddress.FromAddressBytes([10, 0, 0, 1], 1),
            ProxyAddress.FromAddressBytes([10, 0, 0, 2], 2),
            [ProxyTlv.Aws("vpce-0abc")]);
        JsonElement json = InspectRun.Hex(header).Json();
        Assert.Equal("TCP4", json.GetProperty("family").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("source").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("destination").ValueKind);
        Assert.Equal("vpce-0abc", json.GetProperty("tlvs")[0].GetProperty("vpcEndpointId").GetString());
    }

    [Fact]
    public void Local_tlv_that_overruns_is_invalid()
    {
        InspectOutcome o = InspectRun.Hex(V2(0x20, 0x00, 0x01, 0x00, 0x05, 0x68, 0x32));
        Assert.Equal(InspectExitCodes.Invalid, o.ExitCode);
        Assert.Equal("v2: TLV overruns the header", o.Json().GetProperty("error").GetString());
    }

    [Fact]
    public void Vendor_tlvs_without_their_layout_are_shown_raw()
    {
        // GCP of 3 bytes, AWS with only its subtype, Azure of another subtype: valid, not decoded.
        byte[] header = V2(0x21, 0x00, 0xE0, 0x00, 0x03, 0x01, 0x02, 0x03, 0xEA, 0x00, 0x01, 0x01, 0xEE, 0x00, 0x02, 0x02, 0xFF);
        InspectOutcome o = InspectRun.Hex(header);
        Assert.True(o.ExitCode == InspectExitCodes.Valid, o.ToString());
        JsonElement[] tlvs = [.. o.Json().GetProperty("tlvs").EnumerateArray()];
        Assert.Equal(["GCP", "AWS", "AZURE"], tlvs.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("010203", tlvs[0].GetProperty("valueHex").GetString());
        Assert.False(tlvs[0].TryGetProperty("pscConnectionId", out _));
        Assert.Equal(1, tlvs[1].GetProperty("subtype").GetInt32());
        Assert.False(tlvs[1].TryGetProperty("vpcEndpointId", out _));
        Assert.Equal(2, tlvs[2].GetProperty("subtype").GetInt32());
        Assert.False(tlvs[2].TryGetProperty("privateLinkId", out _));
    }

    [Fact]
    public void Help_names_the_formats()
    {
        string description = InspectCommand.Create().Description ?? string.Empty;
        Assert.Contains("PROXY protocol", description, StringComparison.Ordinal);
        Assert.Contains("SPP", description, StringComparison.Ordinal);
    }
}
