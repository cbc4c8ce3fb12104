using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.Properties;

/// <summary>Differential check: the streaming v1 parser accepts exactly the lines the reference accepts.</summary>
public sealed class V1ReferencePropertyTests
{
    private static readonly string[] Protocols = ["TCP4", "TCP6", "UNKNOWN", "TCP5", "tcp4", "UNKNOWN ", "TCP", ""];

    private static readonly string[] Addresses =
    [
        "192.0.2.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3",
        "::", "::1", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "::ffff:192.0.2.1", "::ffff:192.0.2.01", "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3",
        "fe80::1%1", "[::1]", ":1", "1:", "g::1", "", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4:5",
        "0:0:0:0:0:0:0:0", "1::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
    ];

    private static readonly string[] Ports = ["0", "1", "80", "65535", "65536", "99999", "00", "01", "123456", "-1", "", "1a"];

    private static readonly string[] Separators = [" ", " ", " ", " ", "  ", "\t", ""];

    private static readonly string[] Endings = ["\r\n", "\r\n", "\r\n", "\n", "\r", " \r\n", "\rX\r\n", "\r\nGET"];

    // Eleven picks: protocol, two addresses, two ports, ending, five separators.
    private static Gen<byte[]> Lines() =>
        Gen.ArrayOf(Gen.Choose(0, 1 << 20), 11)
            .Select(k =>
            {
                static string Pick(string[] pool, int index) => pool[index % pool.Length];
                string line = "PROXY" + Pick(Separators, k[6]) + Pick(Protocols, k[0]) + Pick(Separators, k[7]) + Pick(Addresses, k[1]) +
                    Pick(Separators, k[8]) + Pick(Addresses, k[2]) + Pick(Separators, k[9]) + Pick(Ports, k[3]) +
                    Pick(Separators, k[10]) + Pick(Ports, k[4]) + Pick(Endings, k[5]);
                return Encoding.ASCII.GetBytes(line);
            });

    [Fact]
    public void Parser_and_reference_agree_on_complete_lines() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(20000),
            Prop.ForAll(
                Arb.From(Lines()),
                input =>
                {
                    ProxyParseResult r = ProxyHeaderParser.Default.Parse(input);
                    bool? expected = ReferenceV1.IsValid(input);
                    return expected switch
                    {
                        true => r.Status == ProxyParseStatus.Complete,
                        false => r.Status == ProxyParseStatus.Invalid,
                        null => r.Status != ProxyParseStatus.Complete,
                    };
                }));

    [Fact]
    public void Agreement_covers_both_verdicts()
    {
        var random = new Random(7);
        int complete = 0, invalid = 0;
        for (int i = 0; i < 50_000; i++)
        {
            // Mostly single spaces and CRLF, so that many lines are valid.
            string Pick(string[] pool) => pool[random.Next(pool.Length)];
            string Sep() => random.Next(10) == 0 ? Pick(Separators) : " ";
            string line = "PROXY" + Sep() + Pick(Protocols) + Sep() + Pick(Addresses) + Sep() + Pick(Addresses) + Sep() +
                Pick(Ports) + Sep() + Pick(Ports) + (random.Next(5) == 0 ? Pick(Endings) : "\r\n");
            byte[] input = Encoding.ASCII.GetBytes(line);
            ProxyParseResult r = ProxyHeaderParser.Default.Parse(input);
            bool? expected = ReferenceV1.IsValid(input);
            Assert.True(
                expected switch
                {
                    true => r.Status == ProxyParseStatus.Complete,
                    false => r.Status == ProxyParseStatus.Invalid,
                    null => r.Status != ProxyParseStatus.Complete,
                },
                $"{line.ReplaceLineEndings("\\n")}: parser {r}, reference {expected}");
            complete += r.Status == ProxyParseStatus.Complete ? 1 : 0;
            invalid += r.Status == ProxyParseStatus.Invalid ? 1 : 0;
        }

        Assert.True(complete > 1000, $"only {complete} valid lines");
        Assert.True(invalid > 1000, $"only {invalid} invalid lines");
    }

    [Fact]
    public void Reference_agrees_on_the_spec_examples()
    {
        Assert.True(ReferenceV1.IsValid(Bytes.Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")));
        Assert.True(ReferenceV1.IsValid(Bytes.Ascii("PROXY UNKNOWN\r\n")));
        Assert.False(ReferenceV1.IsValid(Bytes.Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 65536\r\n")));
        Assert.Null(ReferenceV1.IsValid(Bytes.Ascii("PROXY TCP4 192.168.0.1")));
    }
}
