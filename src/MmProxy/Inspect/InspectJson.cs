using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MmProxy.ProxyProtocol;

namespace MmProxy.Inspect;

/// <summary>
/// The JSON output of <c>mmproxy inspect</c>, written with Utf8JsonWriter (no reflection: trim/AOT safe).
/// Every object starts with "format" ("PROXY v1", "PROXY v2", "SPP"; null in an error about input of
/// no known format). PROXY: format, version, command, family, source, destination, headerLength,
/// payloadLength, tlvs, crc32c. SPP: format, client, proxy, headerLength, payloadLength. Errors:
/// format, error.
/// </summary>
internal static class InspectJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // A terminal tool, not HTML: keep '+', '<', non-ASCII paths readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Header(ProxyHeader header, int payloadLength) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("format", InspectFormat.Of(header));
        writer.WriteNumber("version", (int)header.Version);
        writer.WriteString("command", header.Command == ProxyCommand.Local ? "LOCAL" : "PROXY");
        writer.WriteString("family", FamilyName(header.Family));
        WriteAddress(writer, "source", header.Source);
        WriteAddress(writer, "destination", header.Destination);
        writer.WriteNumber("headerLength", header.Length);
        writer.WriteNumber("payloadLength", payloadLength);
        writer.WriteStartArray("tlvs");
        foreach (ProxyTlv tlv in header.Tlvs)
        {
            WriteTlv(writer, tlv);
        }

        writer.WriteEndArray();
        writer.WriteString("crc32c", header.HasCrc32C ? "valid" : "absent");
        writer.WriteEndObject();
    });

    public static string Spp(SppHeader header, int payloadLength) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("format", InspectFormat.Spp);
        writer.WriteString("client", header.Client.ToString());
        writer.WriteString("proxy", header.Proxy.ToString());
        writer.WriteNumber("headerLength", SppHeader.Length);
        writer.WriteNumber("payloadLength", payloadLength);
        writer.WriteEndObject();
    });

    public static string Error(string? format, string reason) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("format", format);
        writer.WriteString("error", reason);
        writer.WriteEndObject();
    });

    public static string FamilyName(ProxyFamily family) => family switch
    {
        ProxyFamily.Tcp4 => "TCP4",
        ProxyFamily.Tcp6 => "TCP6",
        ProxyFamily.Udp4 => "UDP4",
        ProxyFamily.Udp6 => "UDP6",
        ProxyFamily.UnixStream => "UNIX_STREAM",
        ProxyFamily.UnixDgram => "UNIX_DGRAM",
        ProxyFamily.Unknown => "UNKNOWN",
        _ => "UNSPEC",
    };

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            body(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteAddress(Utf8JsonWriter writer, string name, ProxyAddress address)
    {
        if (address.Kind == ProxyAddressKind.None)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, address.ToString());
        }
    }

    private static void WriteTlv(Utf8JsonWriter writer, ProxyTlv tlv)
    {
        writer.WriteStartObject();
        writer.WriteNumber("type", (byte)tlv.Type);
        writer.WriteString("name", tlv.Name);
        writer.WriteString("valueHex", Convert.ToHexStringLower(tlv.Value.Span));
        switch (tlv.Type)
        {
            case ProxyTlvType.Crc32C when tlv.Crc32C is uint crc:
                writer.WriteNumber("checksum", crc);
                break;
            case ProxyTlvType.Ssl:
                WriteSsl(writer, tlv);
                break;
            case ProxyTlvType.Aws:
                WriteVendorSubtype(writer, tlv);
                if (tlv.AwsVpcEndpointId is string endpoint)
                {
                    writer.WriteString("vpcEndpointId", endpoint);
                }

                break;
            case ProxyTlvType.Azure:
                WriteVendorSubtype(writer, tlv);
                if (tlv.AzurePrivateLinkId is uint linkId)
                {
                    writer.WriteNumber("privateLinkId", linkId);
                }

                break;
            case ProxyTlvType.Gcp when tlv.GcpPscConnectionId is ulong connection:
                writer.WriteNumber("pscConnectionId", connection);
                break;
            default:
                if (tlv.Text is string text)
                {
                    writer.WriteString("value", text);
                }

                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteVendorSubtype(Utf8JsonWriter writer, ProxyTlv tlv)
    {
        if (tlv.VendorSubtype is byte subtype)
        {
            writer.WriteNumber("subtype", subtype);
        }
    }

    private static void WriteSsl(Utf8JsonWriter writer, ProxyTlv tlv)
    {
        if (tlv.SslClient is not ProxySslClientFlags client || tlv.SslVerify is not uint verify)
        {
            return;
        }

        writer.WriteNumber("client", (byte)client);
        writer.WriteStartArray("clientFlags");
        if (client.HasFlag(ProxySslClientFlags.Ssl))
        {
            writer.WriteStringValue("SSL");
        }

        if (client.HasFlag(ProxySslClientFlags.CertConnection))
        {
            writer.WriteStringValue("CERT_CONN");
        }

        if (client.HasFlag(ProxySslClientFlags.CertSession))
        {
            writer.WriteStringValue("CERT_SESS");
        }

        writer.WriteEndArray();
        writer.WriteNumber("verify", verify);
        // Spec 2.2.5: zero means a presented certificate was verified; without a certificate
        // (HAProxy still sends 0) nothing was verified.
        writer.WriteBoolean("verified", verify == 0 && (client & (ProxySslClientFlags.CertConnection | ProxySslClientFlags.CertSession)) != 0);
        writer.WriteStartArray("subTlvs");
        foreach (ProxyTlv sub in tlv.SubTlvs)
        {
            WriteTlv(writer, sub);
        }

        writer.WriteEndArray();
    }
}
