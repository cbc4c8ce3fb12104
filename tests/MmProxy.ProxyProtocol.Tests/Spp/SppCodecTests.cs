using System.Net;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.Spp;

/// <summary>
/// Cloudflare's Simple Proxy Protocol: 38 bytes, network byte order — magic 0x56EC, client address
/// (16), proxy address (16), client port (2), proxy port (2) — then the datagram's payload.
/// </summary>
public sealed class SppCodecTests
{
    // 192.0.2.10:40000 -> 198.51.100.7:53, IPv4 as ::ffff:a.b.c.d.
    private const string KnownIPv4 =
        "56EC" +
        "00000000 00000000 0000FFFF C000020A" +
        "00000000 00000000 0000FFFF C6336407" +
        "9C40" +
        "0035";

    // [2001:db8::1]:443 -> [2001:db8:ffff::53]:8443.
    private const string KnownIPv6 =
        "56EC" +
        "20010DB8 00000000 00000000 00000001" +
        "20010DB8 FFFF0000 00000000 00000053" +
        "01BB" +
        "20FB";

    private static ProxyAddress Address(string endPoint) => ProxyAddress.FromIPEndPoint(IPEndPoint.Parse(endPoint));

    private static SppHeader Valid(byte[] datagram)
    {
        SppParseResult r = SppCodec.Parse(datagram);
        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(SppParseError.None, r.Error);
        return r.Header;
    }

    [Fact]
    public void Constants_are_the_documented_ones()
    {
        Assert.Equal(38, SppHeader.Length);
        Assert.Equal(0x56EC, SppHeader.Magic);
    }

    [Fact]
    public void Ipv4_mapped_addresses_decode_as_ipv4()
    {
        SppHeader h = Valid(Bytes.Hex(KnownIPv4));
        Assert.Equal(ProxyAddressKind.IPv4, h.Client.Kind);
        Assert.Equal(ProxyAddressKind.IPv4, h.Proxy.Kind);
        Assert.Equal("192.0.2.10:40000", h.Client.ToString());
        Assert.Equal("198.51.100.7:53", h.Proxy.ToString());
    }

    [Fact]
    public void Ipv6_addresses_decode_as_ipv6()
    {
        SppHeader h = Valid(Bytes.Hex(KnownIPv6));
        Assert.Equal(ProxyAddressKind.IPv6, h.Client.Kind);
        Assert.Equal("[2001:db8::1]:443", h.Client.ToString());
        Assert.Equal("[2001:db8:ffff::53]:8443", h.Proxy.ToString());
    }

    [Fact]
    public void Ports_are_big_endian_client_then_proxy()
    {
        byte[] datagram = Bytes.Hex(KnownIPv6);
        datagram[34] = 0x12;
        datagram[35] = 0x34;
        datagram[36] = 0xFF;
        datagram[37] = 0xFE;
        SppHeader h = Valid(datagram);
        Assert.Equal(0x1234, h.Client.Port);
        Assert.Equal(0xFFFE, h.Proxy.Port);
    }

    [Fact]
    public void Only_the_exact_mapped_prefix_is_ipv4()
    {
        // ::fffe:c000:20a and 100::ffff:c000:20a are IPv6 addresses, not IPv4 ones.
        byte[] datagram = Bytes.Hex(KnownIPv4);
        datagram[12] = 0xFE;
        Assert.Equal(ProxyAddressKind.IPv6, Valid(datagram).Client.Kind);
        datagram = Bytes.Hex(KnownIPv4);
        datagram[2] = 0x01;
        Assert.Equal(ProxyAddressKind.IPv6, Valid(datagram).Client.Kind);
        Assert.Equal(ProxyAddressKind.IPv4, Valid(datagram).Proxy.Kind);
    }

    [Fact]
    public void Writes_the_documented_bytes()
    {
        Assert.Equal(Bytes.Hex(KnownIPv4), SppCodec.Write(new SppHeader(Address("192.0.2.10:40000"), Address("198.51.100.7:53"))));
        Assert.Equal(Bytes.Hex(KnownIPv6), SppCodec.Write(new SppHeader(Address("[2001:db8::1]:443"), Address("[2001:db8:ffff::53]:8443"))));
    }

    [Fact]
    public void Try_write_fills_only_the_header_and_refuses_a_short_buffer()
    {
        var header = new SppHeader(Address("192.0.2.10:40000"), Address("198.51.100.7:53"));
        byte[] buffer = new byte[40];
        Array.Fill(buffer, (byte)0xAA);
        Assert.True(SppCodec.TryWrite(header, buffer));
        Assert.Equal(Bytes.Hex(KnownIPv4), buffer[..38]);
        Assert.Equal(new byte[] { 0xAA, 0xAA }, buffer[38..]);
        Assert.False(SppCodec.TryWrite(header, new byte[37]));
        Assert.False(SppCodec.TryWrite(default, new byte[38]));
    }

    [Fact]
    public void Only_ip_addresses_make_a_header()
    {
        Assert.Throws<ArgumentException>(() => new SppHeader(ProxyAddress.None, Address("192.0.2.1:1")));
        Assert.Throws<ArgumentException>(() => new SppHeader(Address("192.0.2.1:1"), ProxyAddress.FromUnixPath("/run/x")));
        Assert.Throws<ArgumentException>(() => SppCodec.Write(default));
    }

    [Fact]
    public void Round_trip_write_then_parse()
    {
        var random = new Random(56_236);
        var bytes = new byte[16];
        for (int i = 0; i < 2000; i++)
        {
            ProxyAddress client = RandomHeaders.RandomIP(random, random.Next(2) == 0);
            random.NextBytes(bytes);
            ProxyAddress proxy = random.Next(2) == 0
                ? ProxyAddress.FromAddressBytes(bytes.AsSpan(0, 4), (ushort)random.Next(65536))
                : ProxyAddress.FromAddressBytes(bytes, (ushort)random.Next(65536));
            var header = new SppHeader(client, proxy);
            byte[] payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);

            SppHeader back = Valid([.. SppCodec.Write(header), .. payload]);
            // An IPv4-mapped IPv6 address is IPv4 on the wire, so it comes back as IPv4.
            Assert.Equal(Canonical(client), back.Client);
            Assert.Equal(Canonical(proxy), back.Proxy);
        }
    }

    [Fact]
    public void Header_of_exactly_38_bytes_has_an_empty_payload()
    {
        byte[] datagram = Bytes.Hex(KnownIPv4);
        Assert.Equal(SppHeader.Length, datagram.Length);
        Valid(datagram);
        Assert.True(datagram.AsSpan(SppHeader.Length).IsEmpty);
        Assert.Equal(Valid([.. datagram, 1, 2, 3]), Valid(datagram));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    public void Shorter_than_38_bytes_is_too_short(int length)
    {
        byte[] datagram = Bytes.Hex(KnownIPv4)[..length];
        SppParseResult r = SppCodec.Parse(datagram);
        Assert.False(r.IsValid);
        Assert.Equal(SppParseError.TooShort, r.Error);
        Assert.Equal(default, r.Header);
    }

    [Theory]
    [InlineData(0x56, 0xED)]
    [InlineData(0xEC, 0x56)]
    [InlineData(0x00, 0x00)]
    [InlineData(0x0D, 0x0A)]
    public void Other_magic_is_bad_magic(byte first, byte second)
    {
        byte[] datagram = Bytes.Hex(KnownIPv4);
        datagram[0] = first;
        datagram[1] = second;
        Assert.Equal(SppParseError.BadMagic, SppCodec.Parse(datagram).Error);
        // Decided from the first two bytes: a short datagram with the wrong magic says so.
        Assert.Equal(SppParseError.BadMagic, SppCodec.Parse(datagram.AsSpan(0, 10)).Error);
    }

    [Fact]
    public void Parse_never_throws_on_arbitrary_bytes()
    {
        var random = new Random(0x56EC);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = new byte[random.Next(0, 80)];
            random.NextBytes(input);
            if (input.Length >= 2 && random.Next(2) == 0)
            {
                input[0] = 0x56;
                input[1] = 0xEC;
            }

            SppParseResult r = SppCodec.Parse(input);
            bool expected = input.Length >= SppHeader.Length && input[0] == 0x56 && input[1] == 0xEC;
            Assert.Equal(expected, r.IsValid);
            Assert.Equal(r.IsValid, r.Error == SppParseError.None);
            if (r.IsValid)
            {
                // What was read writes back to the same 38 bytes (IPv4 goes out mapped again).
                Assert.True(r.Header.Client.IsIP && r.Header.Proxy.IsIP);
                Assert.Equal(input[..SppHeader.Length], SppCodec.Write(r.Header));
            }
        }
    }

    [Fact]
    public void Parse_allocates_nothing()
    {
        byte[][] inputs = [Bytes.Hex(KnownIPv4), Bytes.Hex(KnownIPv6), [.. Bytes.Hex(KnownIPv6), 1, 2, 3], Bytes.Hex(KnownIPv4)[..37], [0x13, 0x37], []];
        int sink = 0;
        for (int i = 0; i < 1000; i++)
        {
            foreach (byte[] input in inputs)
            {
                sink += SppCodec.Parse(input).Header.Client.Port; // warm-up (tiering, statics)
            }
        }

        // As in AllocationTests: a per-parse allocation would show in every attempt.
        long allocated = long.MaxValue;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                foreach (byte[] input in inputs)
                {
                    SppParseResult r = SppCodec.Parse(input);
                    sink += (int)r.Error + r.Header.Client.Port + r.Header.Proxy.Port;
                }
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
        Assert.True(sink >= 0);
    }

    [Fact]
    public void Headers_compare_by_their_addresses()
    {
        var a = new SppHeader(Address("192.0.2.10:40000"), Address("198.51.100.7:53"));
        var b = Valid(Bytes.Hex(KnownIPv4));
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new SppHeader(Address("192.0.2.10:40001"), Address("198.51.100.7:53")));
        Assert.Equal("SPP 192.0.2.10:40000 -> 198.51.100.7:53", a.ToString());
    }

    private static ProxyAddress Canonical(ProxyAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteAddressBytes(bytes, out int n);
        IPAddress ip = new(bytes[..n]);
        return ip.IsIPv4MappedToIPv6 ? ProxyAddress.FromIPAddress(ip.MapToIPv4(), address.Port) : address;
    }
}
