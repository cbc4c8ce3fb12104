using System.Text;

namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>
/// Random valid headers (all families, addresses, ports, every TLV type, optional CRC32C) written with
/// ProxyHeaderWriter. Driven by System.Random so FsCheck properties (via a seed) and the fuzz seeds share it.
/// </summary>
internal static class RandomHeaders
{
    private static readonly ProxyFamily[] V2Families =
        [ProxyFamily.Tcp4, ProxyFamily.Udp4, ProxyFamily.Tcp6, ProxyFamily.Udp6, ProxyFamily.UnixStream, ProxyFamily.UnixDgram, ProxyFamily.Unspec];

    // Types whose value the parser checks; everything else may carry arbitrary bytes.
    private static readonly byte[] CheckedTypes = [0x03, 0x05, 0x20];

    private const string PathChars = "abcdefghijklmnopqrstuvwxyz0123456789/._-";

    public static GeneratedHeader Create(Random random) => random.Next(4) == 0 ? CreateV1(random) : CreateV2(random);

    public static GeneratedHeader CreateV1(Random random)
    {
        ProxyFamily family = random.Next(5) switch
        {
            0 => ProxyFamily.Unknown,
            1 or 2 => ProxyFamily.Tcp4,
            _ => ProxyFamily.Tcp6,
        };
        ProxyAddress source = default, destination = default;
        if (family != ProxyFamily.Unknown)
        {
            source = RandomIP(random, family == ProxyFamily.Tcp6);
            destination = RandomIP(random, family == ProxyFamily.Tcp6);
        }

        byte[] bytes = ProxyHeaderWriter.WriteV1(family, source, destination);
        var expected = new ProxyHeader
        {
            Version = ProxyVersion.V1,
            Command = ProxyCommand.Proxy,
            Family = family,
            Source = source,
            Destination = destination,
            Length = bytes.Length,
        };
        return new GeneratedHeader(expected, bytes, Encoding.ASCII.GetString(bytes).TrimEnd());
    }

    public static GeneratedHeader CreateV2(Random random)
    {
        ProxyFamily family = V2Families[random.Next(V2Families.Length)];
        ProxyCommand command = random.Next(8) == 0 ? ProxyCommand.Local : ProxyCommand.Proxy;
        (ProxyAddress source, ProxyAddress destination) = family switch
        {
            ProxyFamily.Tcp4 or ProxyFamily.Udp4 => (RandomIP(random, false), RandomIP(random, false)),
            ProxyFamily.Tcp6 or ProxyFamily.Udp6 => (RandomIP(random, true), RandomIP(random, true)),
            ProxyFamily.UnixStream or ProxyFamily.UnixDgram => (RandomUnix(random), RandomUnix(random)),
            _ => (default(ProxyAddress), default(ProxyAddress)),
        };

        List<ProxyTlv> tlvs = [];
        int tlvCount = random.Next(3) == 0 ? 0 : random.Next(0, 6);
        for (int i = 0; i < tlvCount; i++)
        {
            tlvs.Add(RandomTlv(random));
        }

        bool crc = random.Next(3) == 0;
        byte[] bytes = ProxyHeaderWriter.WriteV2(command, family, source, destination, tlvs, crc);

        // LOCAL and UNSPEC carry no address (spec 2.2); their TLVs are read like any other's.
        bool hasAddresses = command == ProxyCommand.Proxy && family != ProxyFamily.Unspec;
        List<ProxyTlv> expectedTlvs = [.. tlvs];
        if (crc)
        {
            expectedTlvs.Add(new ProxyTlv(ProxyTlvType.Crc32C, bytes.AsMemory(bytes.Length - 4)));
        }

        var expected = new ProxyHeader
        {
            Version = ProxyVersion.V2,
            Command = command,
            Family = family,
            Source = hasAddresses ? source : default,
            Destination = hasAddresses ? destination : default,
            Length = bytes.Length,
            Tlvs = expectedTlvs,
            HasCrc32C = crc,
        };
        string description = $"v2 {command} {family} {source} -> {destination} tlvs=[{string.Join(", ", tlvs)}] crc={crc}";
        return new GeneratedHeader(expected, bytes, description);
    }

    public static ProxyAddress RandomIP(Random random, bool v6)
    {
        var bytes = new byte[v6 ? 16 : 4];
        random.NextBytes(bytes);
        if (v6)
        {
            // Zero runs and the embedded-IPv4 prefixes exercise every text form.
            switch (random.Next(6))
            {
                case 0:
                    for (int g = 0; g < 8; g++)
                    {
                        if (random.Next(2) == 0)
                        {
                            bytes[2 * g] = bytes[(2 * g) + 1] = 0;
                        }
                    }

                    break;
                case 1:
                    Array.Clear(bytes, 0, 10);
                    bytes[10] = bytes[11] = 0xFF;
                    break;
                case 2:
                    Array.Clear(bytes, 0, 12);
                    break;
                case 3:
                    bytes[8] = bytes[9] = 0;
                    bytes[10] = 0x5E;
                    bytes[11] = 0xFE;
                    break;
                default:
                    break;
            }
        }

        ushort port = random.Next(4) switch
        {
            0 => 0,
            1 => ushort.MaxValue,
            _ => (ushort)random.Next(0, 65536),
        };
        return ProxyAddress.FromAddressBytes(bytes, port);
    }

    public static ProxyAddress RandomUnix(Random random)
    {
        bool isAbstract = random.Next(4) == 0;
        int length = random.Next(2, isAbstract ? 107 : 108 + 1);
        var path = new StringBuilder(isAbstract ? "@" : "/");
        for (int i = 1; i < length; i++)
        {
            path.Append(PathChars[random.Next(PathChars.Length)]);
        }

        return ProxyAddress.FromUnixPath(path.ToString());
    }

    public static ProxyTlv RandomTlv(Random random)
    {
        switch (random.Next(12))
        {
            case 0: return ProxyTlv.Alpn(RandomText(random, 0, 20));
            case 1: return ProxyTlv.Authority(RandomText(random, 0, 60));
            case 2: return ProxyTlv.Noop(random.Next(0, 40));
            case 3: return ProxyTlv.UniqueId(RandomBytes(random, 0, 128));
            case 4: return ProxyTlv.Netns(RandomText(random, 0, 20));
            case 5: return ProxyTlv.Aws(RandomText(random, 0, 30));
            case 6: return ProxyTlv.Azure((uint)random.NextInt64(0, 1L << 32));
            case 7: return ProxyTlv.Gcp((ulong)random.NextInt64());
            case 8:
                {
                    List<ProxyTlv> subs = [];
                    int n = random.Next(0, 5);
                    for (int i = 0; i < n; i++)
                    {
                        var subType = (ProxyTlvType)random.Next(0x21, 0x29);
                        subs.Add(subType == ProxyTlvType.SslClientCert
                            ? new ProxyTlv(subType, RandomBytes(random, 0, 200))
                            : ProxyTlv.FromText(subType, RandomText(random, 0, 30)));
                    }

                    return ProxyTlv.Ssl((ProxySslClientFlags)random.Next(0, 8), (uint)random.Next(0, 3), subs);
                }

            case 9:
                {
                    // Other vendor subtypes are raw.
                    var type = random.Next(2) == 0 ? ProxyTlvType.Aws : ProxyTlvType.Azure;
                    byte[] value = RandomBytes(random, 1, 20);
                    value[0] = (byte)random.Next(2, 256);
                    return new ProxyTlv(type, value);
                }

            default:
                {
                    byte type;
                    do
                    {
                        type = (byte)random.Next(256);
                    }
                    while (Array.IndexOf(CheckedTypes, type) >= 0);

                    return new ProxyTlv((ProxyTlvType)type, RandomBytes(random, 0, 50));
                }
        }
    }

    private static string RandomText(Random random, int min, int max)
    {
        var text = new StringBuilder();
        int length = random.Next(min, max + 1);
        for (int i = 0; i < length; i++)
        {
            text.Append((char)random.Next(0x21, 0x7F));
        }

        return text.ToString();
    }

    private static byte[] RandomBytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }
}
