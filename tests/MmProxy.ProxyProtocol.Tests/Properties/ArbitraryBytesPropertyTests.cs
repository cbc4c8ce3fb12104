using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MmProxy.ProxyProtocol.Tests.Fuzz;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.Properties;

public sealed class ArbitraryBytesPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(3000);

    private static readonly ProxyHeaderParser Small = new(new ProxyHeaderParserOptions { MaxHeaderSize = 100 });

    // Uniform bytes rarely get past the first byte; these inputs reach every branch.
    private static Gen<byte[]> Inputs()
    {
        Gen<byte[]> anyBytes = ArbMap.Default.GeneratorFor<byte[]>();
        Gen<byte[]> v1Like =
            Gen.ArrayOf(Gen.Elements("TCP4 TCP6 UNKNOWN 0 1 2 9 25 255 256 65535 65536 . : :: ffff a F \r \n \r\n  x".Split(' ').Append(" ").ToArray()))
                .Select(parts => Encoding.ASCII.GetBytes("PROXY " + string.Concat(parts)));
        Gen<byte[]> v2Like =
            Gen.Zip(
                    Gen.Zip(Gen.Elements<byte>(0x20, 0x21, 0x22, 0x11), Gen.Elements<byte>(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0x13)),
                    anyBytes)
                .Select(t => V2Raw.Build(t.Item1.Item1, t.Item1.Item2, (ushort)t.Item2.Length, t.Item2));
        Gen<byte[]> v2Tlvs =
            Gen.Zip(Gen.Zip(Gen.Elements<byte>(0x01, 0x03, 0x05, 0x20, 0xE0, 0xEA, 0xEE, 0x42), anyBytes), Gen.Choose(0, 4))
                .Select(t =>
                {
                    byte[] tlv = V2Raw.Tlv(t.Item1.Item1, t.Item1.Item2);
                    return V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), tlv[..Math.Max(0, tlv.Length - t.Item2)]);
                });
        Gen<byte[]> mutatedSample =
            Gen.Zip(Gen.Choose(0, SampleHeaders.All.Count - 1), Gen.Choose(int.MinValue, int.MaxValue))
                .Select(t => new HeaderMutator(new Random(t.Item2)).Mutate(SampleHeaders.All[t.Item1]));
        return Gen.OneOf(anyBytes, v1Like, v2Like, v2Tlvs, mutatedSample);
    }

    [Fact]
    public void Never_throws_and_agrees_byte_by_byte() =>
        Check.One(
            Config,
            Prop.ForAll(
                Arb.From(Inputs()),
                input =>
                {
                    foreach (ProxyHeaderParser parser in new[] { ProxyHeaderParser.Default, Small })
                    {
                        string? problem = ParseResults.CheckPrefixConsistency(parser, input);
                        if (problem is not null)
                        {
                            throw new InvalidOperationException(problem);
                        }

                        ProxyParseResult r = parser.Parse(input);
                        if (r.BytesConsumed > input.Length || (r.Status != ProxyParseStatus.Invalid) != (r.Error == ProxyParseError.None))
                        {
                            return false;
                        }
                    }

                    return true;
                }));
}
