using MmProxy.Tcp;

namespace MmProxy.Tests.Tcp;

public sealed class RelayPumpFactoryTests
{
    [Fact]
    public void Splice_is_the_default_and_copy_can_be_chosen()
    {
        Assert.IsType<SpliceRelayPump>(RelayPumpFactory.Create(null));
        Assert.IsType<SpliceRelayPump>(RelayPumpFactory.Create("splice"));
        Assert.IsType<CopyRelayPump>(RelayPumpFactory.Create("copy"));
        Assert.IsType<CopyRelayPump>(RelayPumpFactory.Create("COPY"));
    }
}
