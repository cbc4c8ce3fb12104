using MmProxy.Tcp;

namespace MmProxy.Tests.Tcp;

/// <summary>The relay semantics of <see cref="TcpRelayTests"/> with the copy pump (MMPROXY_RELAY=copy).</summary>
public sealed class CopyRelayPumpTests : TcpRelayTests
{
    private protected override RelayPump Pump => CopyRelayPump.Instance;
}
