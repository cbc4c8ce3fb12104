using System.Security.Cryptography;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;

namespace MmProxy.Send;

/// <summary>
/// The header <c>mmproxy send</c> writes for one connection or UDP flow: the client as the source,
/// the address it reached as the destination, in the family of the client (a v4-mapped address is
/// written as IPv4; SPP carries every address as 16 bytes anyway), whatever the remote's family.
/// </summary>
internal static class SendHeaderComposer
{
    /// <summary>Room for any header written here: v1 (107), v2 TCP6/UDP6 with CRC32C and UNIQUE_ID (78), SPP (38).</summary>
    public const int MaxLength = 128;

    private const int UniqueIdLength = 16;

    /// <summary>Writes the header into <paramref name="buffer"/> (at least <see cref="MaxLength"/>); the length written.</summary>
    public static int Write(Span<byte> buffer, ProxyOptions options, in ProxyAddress client, in ProxyAddress destination)
    {
        ArgumentNullException.ThrowIfNull(options);
        ProxyAddress source = Unmap(client);
        ProxyAddress target = Unmap(destination);
        bool datagram = options.Protocol == TransportProtocol.Udp;
        if (options.SendHeader == SendHeaderFormat.Spp)
        {
            return SppCodec.TryWrite(new SppHeader(source, target), buffer) ? SppHeader.Length : throw new ArgumentException("buffer too small", nameof(buffer));
        }

        // The destination of another family than the client's (a dual-stack listener): the client's own family's "any".
        bool v4 = source.Kind == ProxyAddressKind.IPv4;
        if (target.Kind != source.Kind)
        {
            target = ProxyAddress.FromAddressBytes(v4 ? stackalloc byte[4] : stackalloc byte[16], target.Port);
        }

        ProxyFamily family = (v4, datagram) switch
        {
            (true, false) => ProxyFamily.Tcp4,
            (false, false) => ProxyFamily.Tcp6,
            (true, true) => ProxyFamily.Udp4,
            _ => ProxyFamily.Udp6,
        };
        int written;
        if (options.SendHeader == SendHeaderFormat.V1)
        {
            _ = ProxyHeaderWriter.TryWriteV1(buffer, family, source, target, out written);
            return written;
        }

        ProxyTlv[]? tlvs = null;
        if (options.SendUniqueId)
        {
            Span<byte> id = stackalloc byte[UniqueIdLength];
            RandomNumberGenerator.Fill(id);
            tlvs = [ProxyTlv.UniqueId(id)];
        }

        _ = ProxyHeaderWriter.TryWriteV2(buffer, ProxyCommand.Proxy, family, source, target, tlvs, options.SendCrc32C, out written);
        return written;
    }

    /// <summary>::ffff:a.b.c.d (a dual-stack socket's view of an IPv4 peer) as a.b.c.d.</summary>
    public static ProxyAddress Unmap(in ProxyAddress address)
    {
        if (address.Kind != ProxyAddressKind.IPv6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        _ = address.TryWriteAddressBytes(bytes, out _);
        return bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF
            ? ProxyAddress.FromAddressBytes(bytes[12..], address.Port)
            : address;
    }
}
