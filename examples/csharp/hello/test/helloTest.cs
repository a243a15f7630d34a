using NUnit.Framework;

namespace hello
{
    [TestFixture]
    public class AlgorithmTest
    {
        [Test]
        public void GreetsInput()
        {
            Assert.AreEqual("hello algorithmia", new Algorithm().Apply("algorithmia"));
        }
    }
}
